"""The escalation mail outbox: every mail stored before it is sent, with its status and tries.

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


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "escalation_mails",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("point_id", sa.String(128), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("delivered_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_escalation_mails"),
        # One mail per request key: a retried API call finds the first one.
        sa.UniqueConstraint("request_key", name="uq_escalation_mails_request_key"),
    )
    op.create_index(
        "ix_escalation_mails_status_next_attempt_at",
        "escalation_mails",
        ["status", "next_attempt_at"],
    )
    op.create_index("ix_escalation_mails_created_at", "escalation_mails", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_escalation_mails_created_at", table_name="escalation_mails")
    op.drop_index("ix_escalation_mails_status_next_attempt_at", table_name="escalation_mails")
    op.drop_table("escalation_mails")
