"""The SQL tables for callbacks, as typed declarative models.

The Alembic migrations in ``callbacks/migrations`` are the authority on the live schema; these
models must match them (``tests/callbacks/test_migrate.py`` compares the two).  They share the
contact records' UTC column type but have their own metadata and version table, so either
component can be migrated without the other.

Two partial unique indexes carry the rules that must hold between engine nodes, where no
in-memory lock reaches: one open callback per number and line code (a second request is
merged into it), and one callback being dialled per number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from callbacks.model import AttemptResult, CallbackStatus
from foundation.sql import UtcDateTime, enum_column, named_metadata

# SQL for the partial indexes, spelled the same on SQLite and PostgreSQL.
OPEN_WHERE = "status IN ('pending', 'dialing')"
DIALING_WHERE = "status = 'dialing'"


class Base(DeclarativeBase):
    metadata = named_metadata()


class CallbackRow(Base):
    __tablename__ = "callbacks"
    __table_args__ = (
        Index("ix_callbacks_status_requested_at", "status", "requested_at"),
        Index("ix_callbacks_status_due_by", "status", "due_by"),
        Index("ix_callbacks_line_requested_at", "line", "requested_at"),
        Index(
            "uq_callbacks_open_number_line_code",
            "number",
            "line_code",
            unique=True,
            sqlite_where=text(OPEN_WHERE),
            postgresql_where=text(OPEN_WHERE),
        ),
        Index(
            "uq_callbacks_dialing_number",
            "number",
            unique=True,
            sqlite_where=text(DIALING_WHERE),
            postgresql_where=text(DIALING_WHERE),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    line: Mapped[str] = mapped_column(String(64))
    line_code: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[str | None] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_by: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[CallbackStatus] = mapped_column(enum_column(CallbackStatus, 16))
    priority: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    merged_count: Mapped[int] = mapped_column(Integer)
    # The seq of the latest attempt: a claim bumps it in the same conditional UPDATE that
    # moves the callback to dialing, so the attempt's (callback_id, seq) is decided atomically.
    attempt_count: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AttemptRow(Base):
    __tablename__ = "callback_attempts"

    callback_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("callbacks.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    result: Mapped[AttemptResult | None] = mapped_column(enum_column(AttemptResult, 24))


class RequestRow(Base):
    """One row per request the IVR (or API) made, by its idempotency key: a retried request
    finds its row and gets the same answer (the same callback, merged or not) again."""

    __tablename__ = "callback_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    callback_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("callbacks.id", ondelete="CASCADE"), index=True
    )
    merged: Mapped[bool] = mapped_column(Boolean)
    contact_id: Mapped[str | None] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
