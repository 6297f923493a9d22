"""Agent states: presence, reason and day counters, restored when an engine starts.

Revision ID: 0003
Revises: 0002
Create Date: 2027-04-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agent_states",
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(128), nullable=True),
        sa.Column("presence_since", _utc(), nullable=True),
        sa.Column("idle_since", _utc(), nullable=True),
        sa.Column("stats_day", sa.Date(), nullable=True),
        sa.Column("contacts_today", sa.Integer(), nullable=False),
        sa.Column("talk_time_today_s", sa.Float(), nullable=False),
        sa.Column("missed_in_a_row", sa.Integer(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agent_states"),
    )


def downgrade() -> None:
    op.drop_table("agent_states")
