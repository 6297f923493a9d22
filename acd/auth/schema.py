"""The SQL tables of users, sessions, API tokens and the audit log, as typed declarative models.

The Alembic migrations in ``acd/auth/migrations`` are the authority on the live schema; these
models must match them (``tests/auth/test_store.py`` compares the two).  They live in the same
database as the contact records, with their own version table.  Sessions and tokens are kept
only as the SHA-256 of the secret the client holds (a session's CSRF token is derived from its
secret, so it is not stored either: see :func:`acd.auth.hashing.csrf_token`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from foundation.sql import UtcDateTime, named_metadata


class Base(DeclarativeBase):
    metadata = named_metadata()


class UserRow(Base):
    __tablename__ = "auth_users"
    __table_args__ = (UniqueConstraint("username", name="uq_auth_users_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    lines: Mapped[str] = mapped_column(Text)  # comma-separated line ids
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionRow(Base):
    __tablename__ = "auth_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TokenRow(Base):
    __tablename__ = "auth_tokens"
    __table_args__ = (UniqueConstraint("digest", name="uq_auth_tokens_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRow(Base):
    __tablename__ = "auth_audit"
    __table_args__ = (
        Index("ix_auth_audit_at", "at"),
        Index("ix_auth_audit_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(128))  # username, "token:NAME" or "-"
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))  # "agent.logout", "login.failed", ...
    target: Mapped[str | None] = mapped_column(String(256))  # "agent 1001", "callback cb-1"
    outcome: Mapped[int] = mapped_column(Integer)  # the HTTP status answered
    remote: Mapped[str | None] = mapped_column(String(64))
    lines: Mapped[str] = mapped_column(Text)  # the lines the target belongs to, comma-separated
