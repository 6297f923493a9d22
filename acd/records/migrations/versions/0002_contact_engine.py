"""The engine each contact belongs to, so that a restarted engine takes up its own calls.

Revision ID: 0002
Revises: 0001
Create Date: 2027-04-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("engine", sa.String(256), nullable=True))
        batch.create_index("ix_contacts_engine_ended_at", ["engine", "ended_at"])


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_engine_ended_at")
        batch.drop_column("engine")
