"""The contact's line code on each escalation mail, so a delivered mail is counted in the
escalation metrics by line code and point.  Mails stored before it get "".

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


def upgrade() -> None:
    # batch: SQLite cannot add a NOT NULL column in place on every version.
    with op.batch_alter_table("escalation_mails") as batch:
        batch.add_column(sa.Column("line_code", sa.String(128), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("escalation_mails") as batch:
        batch.drop_column("line_code")
