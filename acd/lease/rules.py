"""The lease rules, pure: who may hold an ARI application's lease at a moment.

:class:`acd.lease.store.LeaseStore` states the same rules as SQL conditions (so each decision is
one atomic statement); :class:`MemoryLeases` states them in Python, for tests and as their
readable definition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from foundation.errors import EngineAlreadyRunning


@dataclass(frozen=True, slots=True)
class Holder:
    """Who an engine is: a random owner id, plus host and pid for people reading the refusal."""

    owner: str
    host: str
    pid: int


@dataclass(frozen=True, slots=True)
class Lease:
    key: str
    holder: Holder
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at

    def refusal(self) -> EngineAlreadyRunning:
        return EngineAlreadyRunning(
            self.key,
            self.holder.host,
            self.holder.pid,
            self.acquired_at,
            self.renewed_at,
            self.expires_at,
        )


def may_acquire(current: Lease | None, owner: str, now: datetime, take_over: bool) -> bool:
    """A free, expired or own lease is taken; a live one of another engine only on purpose."""
    return current is None or take_over or current.holder.owner == owner or not current.live(now)


def may_renew(current: Lease | None, owner: str) -> bool:
    """Only while still ours: an expired lease nobody took is still ours to renew."""
    return current is not None and current.holder.owner == owner


class Leases(Protocol):
    """Where leases live; :class:`acd.lease.store.LeaseStore` is the real one."""

    async def acquire(
        self, key: str, holder: Holder, now: datetime, ttl: timedelta, *, take_over: bool
    ) -> tuple[bool, Lease | None]:
        """Take the lease if :func:`may_acquire`; return whether we did and the lease now."""
        ...

    async def renew(self, key: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Extend our lease to ``now + ttl``; False if it is no longer ours."""
        ...

    async def release(self, key: str, owner: str) -> None:
        """Give the lease up, if it is still ours."""
        ...


class MemoryLeases:
    """:class:`Leases` in a dict, the rules spelt out in Python."""

    def __init__(self) -> None:
        self.leases: dict[str, Lease] = {}

    async def acquire(
        self, key: str, holder: Holder, now: datetime, ttl: timedelta, *, take_over: bool
    ) -> tuple[bool, Lease | None]:
        current = self.leases.get(key)
        if not may_acquire(current, holder.owner, now, take_over):
            return False, current
        self.leases[key] = Lease(key, holder, now, now, now + ttl)
        return True, self.leases[key]

    async def renew(self, key: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        current = self.leases.get(key)
        if current is None or not may_renew(current, owner):
            return False
        self.leases[key] = replace(current, renewed_at=now, expires_at=now + ttl)
        return True

    async def release(self, key: str, owner: str) -> None:
        current = self.leases.get(key)
        if current is not None and current.holder.owner == owner:
            del self.leases[key]
