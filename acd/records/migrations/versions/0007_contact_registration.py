"""The agent's registration of a contact (the seed's wrap-up): the question as a note, the
contact reason, the scripts or knowledge articles used (a JSON list of URLs), and when.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("contact_reason", sa.String(128), nullable=True))
        batch.add_column(sa.Column("links", sa.Text(), nullable=True))
        batch.add_column(sa.Column("registered_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        for column in ("registered_at", "registered_by", "links", "contact_reason", "note"):
            batch.drop_column(column)
