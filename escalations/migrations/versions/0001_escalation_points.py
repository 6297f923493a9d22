"""Escalation points and their line codes.

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
        "escalation_points",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("editorial_title", sa.Text(), nullable=False),
        sa.Column("phone_e164", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        # The whole point (escalations.codec): slots, deviations, scheduled changes.
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_escalation_points"),
    )
    op.create_table(
        "escalation_point_line_codes",
        sa.Column("point_id", sa.String(128), nullable=False),
        sa.Column("line_code", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["escalation_points.id"],
            name="fk_escalation_point_line_codes_point_id_escalation_points",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("point_id", "line_code", name="pk_escalation_point_line_codes"),
    )
    op.create_index(
        "ix_escalation_point_line_codes_line_code", "escalation_point_line_codes", ["line_code"]
    )


def downgrade() -> None:
    op.drop_index(
        "ix_escalation_point_line_codes_line_code", table_name="escalation_point_line_codes"
    )
    op.drop_table("escalation_point_line_codes")
    op.drop_table("escalation_points")
