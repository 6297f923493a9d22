"""What a restart needs to take up a caller in the survey or a recorded call: when the caller
left the agent for the survey and which question they had reached, and when the bridge's
recording began (its name is the contact's: ``rec-<contact id>``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("survey_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("survey_question", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("recording_started_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        for column in ("recording_started_at", "survey_question", "survey_started_at"):
            batch.drop_column(column)
