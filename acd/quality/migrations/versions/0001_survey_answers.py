"""Survey answers: one row per contact and question, written the moment the caller keys it.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_answers",
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("question", sa.String(128), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("line", sa.String(128), nullable=False),
        sa.Column("line_code", sa.String(256), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "question", name="pk_survey_answers"),
    )
    op.create_index("ix_survey_answers_answered_at", "survey_answers", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_survey_answers_answered_at", table_name="survey_answers")
    op.drop_table("survey_answers")
