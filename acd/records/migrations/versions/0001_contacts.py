"""Contacts and their agent offers.

Revision ID: 0001
Revises:
Create Date: 2027-03-29
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
        "contacts",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("line", sa.String(64), nullable=True),
        sa.Column("line_code", sa.String(128), nullable=True),
        sa.Column("caller_number", sa.String(64), nullable=False),
        sa.Column("arrived_at", _utc(), nullable=False),
        sa.Column("queued_at", _utc(), nullable=True),
        sa.Column("offered_at", _utc(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
    )
    op.create_index("ix_contacts_arrived_at", "contacts", ["arrived_at"])
    op.create_index("ix_contacts_line_arrived_at", "contacts", ["line", "arrived_at"])
    op.create_table(
        "contact_offers",
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("offered_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("cause", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_contact_offers_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "seq", name="pk_contact_offers"),
    )


def downgrade() -> None:
    op.drop_table("contact_offers")
    op.drop_index("ix_contacts_line_arrived_at", table_name="contacts")
    op.drop_index("ix_contacts_arrived_at", table_name="contacts")
    op.drop_table("contacts")
