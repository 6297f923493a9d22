"""The escalation point a contact was transferred to by phone, and when it answered.

Revision ID: 0004
Revises: 0003
Create Date: 2027-04-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("escalation_point", sa.String(128), nullable=True))
        batch.add_column(sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("transferred_at")
        batch.drop_column("escalation_point")
