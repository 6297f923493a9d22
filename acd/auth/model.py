"""Roles, scopes and the principal a request runs as."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """A person's role.  ``agent`` acts on themselves only; ``supervisor`` on the lines they
    supervise; ``admin`` on everything; ``reporting`` reads figures."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    REPORTING = "reporting"


class Scope(StrEnum):
    """What a machine client's API token may do; ``admin`` is every scope."""

    AGENTS_READ = "agents:read"
    AGENTS_WRITE = "agents:write"
    QUEUES_READ = "queues:read"
    CALLBACKS_READ = "callbacks:read"
    CALLBACKS_WRITE = "callbacks:write"
    ESCALATIONS_READ = "escalations:read"
    ESCALATIONS_WRITE = "escalations:write"
    # The receiving service rating the escalations it got (its CRM, or a supervisor).
    ESCALATIONS_RATE = "escalations:rate"
    AUDIT_READ = "audit:read"
    METRICS = "metrics"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: Role
    agent_id: str | None  # an agent user's own agent
    lines: tuple[str, ...]  # the lines a supervisor supervises
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    created_at: datetime
    last_seen_at: datetime


class Via(StrEnum):
    SESSION = "session"
    TOKEN = "token"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request runs as: a user (through a session cookie) or a token."""

    name: str  # "alice" or "token:prometheus", as the audit log shows it
    via: Via
    role: Role | None = None  # users only
    agent_id: str | None = None
    lines: frozenset[str] = frozenset()
    scopes: frozenset[Scope] = field(default_factory=frozenset)  # tokens only
    user_id: int | None = None
    csrf_token: str | None = None  # sessions only

    def has_scope(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes
