"""The escalation mail outbox table.  The Alembic migrations in ``escalations/mail/migrations``
are the authority on the live schema; this table must match them
(``tests/escalations/mail/test_migrate.py`` compares the two)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from escalations.mail.model import MailStatus, Via
from foundation.sql import UtcDateTime, enum_column, named_metadata

METADATA = named_metadata()

MAILS = Table(
    "escalation_mails",
    METADATA,
    Column("id", String(64), primary_key=True),
    # The caller's idempotency key: the same request again returns the stored mail, so an API
    # call retried after a timeout never sends twice.
    Column("request_key", String(200), nullable=False),
    Column("point_id", String(128), nullable=False),
    Column("via", enum_column(Via, 8), nullable=False),
    Column("address", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("contact_id", String(128), nullable=False),
    Column("agent_id", String(128), nullable=False),
    Column("status", enum_column(MailStatus, 16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("line_code", String(128), nullable=False, server_default=""),
    UniqueConstraint("request_key", name="uq_escalation_mails_request_key"),
    Index("ix_escalation_mails_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_escalation_mails_created_at", "created_at"),
)
