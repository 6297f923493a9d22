"""The agent's time figures of the day with its state (seconds per presence, after-call work,
occupancy's staffed and handling seconds and the stretch they count up to), so a restart does
not count the day anew; and ``agent_days``, each agent's figures per day, for the report's
occupancy.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIGURES = ("wrap_up_today_s", "staffed_today_s", "handling_today_s")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agent_states") as batch:
        batch.add_column(sa.Column("presence_seconds_today", sa.Text(), nullable=True))
        for name in _FIGURES:
            # A row of an earlier release had none of today's time stored: zero.
            batch.add_column(sa.Column(name, sa.Float(), server_default="0", nullable=False))
        batch.add_column(sa.Column("state_since", _utc(), nullable=True))
        batch.add_column(sa.Column("state_activity", sa.String(16), nullable=True))
    op.create_table(
        "agent_days",
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("state_activity", sa.String(16), nullable=False),
        sa.Column("state_since", _utc(), nullable=True),
        sa.Column("presence_seconds", sa.Text(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("talk_time_s", sa.Float(), nullable=False),
        sa.Column("wrap_up_s", sa.Float(), nullable=False),
        sa.Column("staffed_s", sa.Float(), nullable=False),
        sa.Column("handling_s", sa.Float(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "day", name="pk_agent_days"),
    )
    op.create_index("ix_agent_days_day", "agent_days", ["day"])


def downgrade() -> None:
    op.drop_index("ix_agent_days_day", table_name="agent_days")
    op.drop_table("agent_days")
    with op.batch_alter_table("agent_states") as batch:
        for name in ("state_activity", "state_since", *reversed(_FIGURES)):
            batch.drop_column(name)
        batch.drop_column("presence_seconds_today")
