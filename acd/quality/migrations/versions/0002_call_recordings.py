"""Call recordings' metadata: one row per recording (named by its contact), its times and who
and what it was for.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
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
    op.create_table(
        "call_recordings",
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("line", sa.String(128), nullable=False),
        sa.Column("line_code", sa.String(256), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_demand", sa.Boolean(), nullable=False),
        sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_call_recordings"),
    )
    op.create_index("ix_call_recordings_contact_id", "call_recordings", ["contact_id"])
    op.create_index("ix_call_recordings_started_at", "call_recordings", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_call_recordings_started_at", table_name="call_recordings")
    op.drop_index("ix_call_recordings_contact_id", table_name="call_recordings")
    op.drop_table("call_recordings")
