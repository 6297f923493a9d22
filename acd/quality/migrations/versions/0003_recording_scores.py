"""Quality scores of call recordings: one row per recording and scorer (scoring again replaces
it), the criteria's scores as a JSON object, the recording's agent, line and line code copied in
for the reports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recording_scores",
        sa.Column("recording", sa.String(160), nullable=False),
        sa.Column("scorer", sa.String(128), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("line", sa.String(128), nullable=False),
        sa.Column("line_code", sa.String(256), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("recording", "scorer", name="pk_recording_scores"),
    )
    op.create_index("ix_recording_scores_scored_at", "recording_scores", ["scored_at"])


def downgrade() -> None:
    op.drop_index("ix_recording_scores_scored_at", table_name="recording_scores")
    op.drop_table("recording_scores")
