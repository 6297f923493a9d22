"""For the reports: each agent wrap-up's length by the contact it followed (AHT is talk plus
wrap-up, and a contact's record is final before its wrap-up ends), and each report schedule's
last period made, so a restarted engine neither skips nor repeats a scheduled report.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_wrap_ups",
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name="pk_contact_wrap_ups"),
    )
    op.create_index("ix_contact_wrap_ups_started_at", "contact_wrap_ups", ["started_at"])
    op.create_table(
        "report_runs",
        sa.Column("schedule", sa.String(128), nullable=False),
        sa.Column("period_end", _utc(), nullable=False),
        sa.Column("ran_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("schedule", name="pk_report_runs"),
    )


def downgrade() -> None:
    op.drop_table("report_runs")
    op.drop_index("ix_contact_wrap_ups_started_at", table_name="contact_wrap_ups")
    op.drop_table("contact_wrap_ups")
