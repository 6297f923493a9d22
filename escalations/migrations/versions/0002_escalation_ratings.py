"""Ratings of escalations by the points that received them.

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

TABLE = "escalation_ratings"
INDEXED = ("point_id", "agent_id", "rated_at")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("point_id", sa.String(128), nullable=False),
        sa.Column("rater", sa.String(128), nullable=False),
        sa.Column("clarity", sa.SmallInteger(), nullable=False),
        sa.Column("completeness", sa.SmallInteger(), nullable=False),
        sa.Column("correctness", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("line_code", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        # One rating per escalation per rater: posting again replaces it.
        sa.PrimaryKeyConstraint("contact_id", "point_id", "rater", name="pk_escalation_ratings"),
    )
    for column in INDEXED:
        op.create_index(f"ix_{TABLE}_{column}", TABLE, [column])


def downgrade() -> None:
    for column in INDEXED:
        op.drop_index(f"ix_{TABLE}_{column}", table_name=TABLE)
    op.drop_table(TABLE)
