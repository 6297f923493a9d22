"""The lease rules as scenarios on explicit times, run on the in-memory rules
(test_rules.py, unit) and on the SQL store on both backends (test_store.py)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from acd.lease import Holder
from acd.lease.rules import Leases

T0 = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=15)
A = Holder("owner-a", "host-a", 101)
B = Holder("owner-b", "host-b", 202)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_key() -> str:
    return f"http://pbx-{secrets.token_hex(4)}:8088 app 'acd'"


async def acquires_a_free_lease(leases: Leases) -> None:
    key = new_key()
    won, lease = await leases.acquire(key, A, at(0), TTL, take_over=False)
    assert won
    assert lease is not None
    assert (lease.key, lease.holder) == (key, A)
    assert (lease.acquired_at, lease.renewed_at, lease.expires_at) == (at(0), at(0), at(15))


async def refuses_while_live_naming_the_holder(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    won, lease = await leases.acquire(key, B, at(14.9), TTL, take_over=False)
    assert not won
    assert lease is not None
    assert lease.holder == A
    message = str(lease.refusal())
    for part in ("host-a", "pid 101", "since 2027-03-30T09:00:00", "--take-over", key):
        assert part in message


async def takes_over_once_expired(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    won, lease = await leases.acquire(key, B, at(15), TTL, take_over=False)
    assert won
    assert lease is not None
    assert lease.holder == B
    assert lease.acquired_at == at(15)
    assert not await leases.renew(key, A.owner, at(16), TTL)


async def takes_over_on_purpose_and_the_old_owner_sees_it(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    won, lease = await leases.acquire(key, B, at(1), TTL, take_over=True)
    assert won
    assert lease is not None
    assert lease.holder == B
    assert not await leases.renew(key, A.owner, at(5), TTL)  # lost: A must stop
    assert await leases.renew(key, B.owner, at(5), TTL)


async def renewing_keeps_it(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    assert await leases.renew(key, A.owner, at(10), TTL)
    won, lease = await leases.acquire(key, B, at(20), TTL, take_over=False)
    assert not won
    assert lease is not None
    assert (lease.acquired_at, lease.renewed_at, lease.expires_at) == (at(0), at(10), at(25))
    won, _ = await leases.acquire(key, B, at(25), TTL, take_over=False)
    assert won


async def an_expired_lease_nobody_took_is_still_ours(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    assert await leases.renew(key, A.owner, at(30), TTL)
    assert not await leases.renew(new_key(), A.owner, at(30), TTL)  # never held


async def releasing_frees_it_only_for_the_owner(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    await leases.release(key, B.owner)  # not B's: nothing happens
    won, _ = await leases.acquire(key, B, at(1), TTL, take_over=False)
    assert not won
    await leases.release(key, A.owner)
    won, _ = await leases.acquire(key, B, at(2), TTL, take_over=False)
    assert won


async def the_owner_may_acquire_again(leases: Leases) -> None:
    key = new_key()
    await leases.acquire(key, A, at(0), TTL, take_over=False)
    won, _ = await leases.acquire(key, A, at(5), TTL, take_over=False)
    assert won


async def keys_are_independent(leases: Leases) -> None:
    await leases.acquire(new_key(), A, at(0), TTL, take_over=False)
    won, _ = await leases.acquire(new_key(), B, at(0), TTL, take_over=False)
    assert won


SCENARIOS: list[Callable[[Leases], Awaitable[None]]] = [
    acquires_a_free_lease,
    refuses_while_live_naming_the_holder,
    takes_over_once_expired,
    takes_over_on_purpose_and_the_old_owner_sees_it,
    renewing_keeps_it,
    an_expired_lease_nobody_took_is_still_ours,
    releasing_frees_it_only_for_the_owner,
    the_owner_may_acquire_again,
    keys_are_independent,
]
