"""Callbacks, their attempts and the requests that made them.

Revision ID: 0001
Revises:
Create Date: 2027-04-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_WHERE = "status IN ('pending', 'dialing')"
DIALING_WHERE = "status = 'dialing'"


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("line", sa.String(64), nullable=False),
        sa.Column("line_code", sa.String(128), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=True),
        sa.Column("requested_at", _utc(), nullable=False),
        sa.Column("due_by", _utc(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", _utc(), nullable=True),
        sa.Column("merged_count", sa.Integer(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_callbacks"),
    )
    op.create_index("ix_callbacks_status_requested_at", "callbacks", ["status", "requested_at"])
    op.create_index("ix_callbacks_status_due_by", "callbacks", ["status", "due_by"])
    op.create_index("ix_callbacks_line_requested_at", "callbacks", ["line", "requested_at"])
    # The rules that must hold between engine nodes: one open callback per number and line
    # code (a second request merges into it), one callback being dialled per number.
    op.create_index(
        "uq_callbacks_open_number_line_code",
        "callbacks",
        ["number", "line_code"],
        unique=True,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    )
    op.create_index(
        "uq_callbacks_dialing_number",
        "callbacks",
        ["number"],
        unique=True,
        sqlite_where=sa.text(DIALING_WHERE),
        postgresql_where=sa.text(DIALING_WHERE),
    )
    op.create_table(
        "callback_attempts",
        sa.Column("callback_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("result", sa.String(24), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name="fk_callback_attempts_callback_id_callbacks",
            ondelete="CASCADE",
        ),
        # Two nodes can never record (and so never place) the same attempt twice.
        sa.PrimaryKeyConstraint("callback_id", "seq", name="pk_callback_attempts"),
    )
    op.create_table(
        "callback_requests",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("callback_id", sa.String(64), nullable=False),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=True),
        sa.Column("requested_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name="fk_callback_requests_callback_id_callbacks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name="pk_callback_requests"),
    )
    op.create_index("ix_callback_requests_callback_id", "callback_requests", ["callback_id"])


def downgrade() -> None:
    op.drop_index("ix_callback_requests_callback_id", table_name="callback_requests")
    op.drop_table("callback_requests")
    op.drop_table("callback_attempts")
    for name in (
        "uq_callbacks_dialing_number",
        "uq_callbacks_open_number_line_code",
        "ix_callbacks_line_requested_at",
        "ix_callbacks_status_due_by",
        "ix_callbacks_status_requested_at",
    ):
        op.drop_index(name, table_name="callbacks")
    op.drop_table("callbacks")
