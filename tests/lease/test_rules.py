"""The lease rules on the in-memory leases, and the engine's lease keeper on a controlled
(virtual) clock: it renews, notices a take-over, and gives the lease up on a clean stop."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from acd.lease import LeaseKeeper, MemoryLeases
from acd.lease.rules import Holder, Leases
from foundation.clock import Clock
from foundation.errors import AcdError, EngineAlreadyRunning
from tests.lease.scenarios import SCENARIOS, T0, TTL, A, B, new_key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
async def test_rules(scenario: Callable[[Leases], Awaitable[None]]) -> None:
    await scenario(MemoryLeases())


class Losses:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def keeper(leases: Leases, key: str, lost: Losses) -> LeaseKeeper:
    return LeaseKeeper(leases, key, Clock(wall_start=T0), lost, holder=A)


async def test_a_kept_lease_refuses_a_second_engine_for_as_long_as_it_runs() -> None:
    leases, key, lost = MemoryLeases(), new_key(), Losses()
    first = keeper(leases, key, lost)
    await first.start()
    await asyncio.sleep(600)  # virtual: 120 renewals
    clock = Clock(wall_start=T0)
    second = LeaseKeeper(leases, key, clock, Losses(), holder=B)
    with pytest.raises(EngineAlreadyRunning) as refused:
        await second.start()
    assert isinstance(refused.value, AcdError)
    assert (refused.value.host, refused.value.pid, refused.value.since) == ("host-a", 101, T0)
    assert refused.value.renewed_at > T0 + timedelta(seconds=590)
    assert lost.count == 0
    await first.stop()
    assert key not in leases.leases  # released on a clean stop
    await second.start()  # so the next one starts at once


async def test_a_crashed_engines_lease_is_taken_after_the_ttl() -> None:
    leases, key = MemoryLeases(), new_key()
    clock = Clock(wall_start=T0)
    await leases.acquire(key, A, clock.now(), TTL, take_over=False)  # then kill -9
    await asyncio.sleep(14)
    with pytest.raises(EngineAlreadyRunning):
        await LeaseKeeper(leases, key, clock, Losses(), holder=B).start()
    await asyncio.sleep(1)
    second = LeaseKeeper(leases, key, clock, Losses(), holder=B)
    await second.start()
    assert leases.leases[key].holder == B
    await second.stop()


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


async def test_a_lease_whose_engine_died_on_this_host_is_taken_at_once() -> None:
    # A service manager restarts the engine right after a kill -9: no waiting out the TTL.
    leases, key, clock = MemoryLeases(), new_key(), Clock(wall_start=T0)
    here = socket.gethostname()
    await leases.acquire(key, Holder("dead", here, _dead_pid()), clock.now(), TTL, take_over=False)
    restarted = LeaseKeeper(leases, key, clock, Losses(), holder=Holder("new", here, 303))
    await restarted.start()
    assert leases.leases[key].holder.owner == "new"
    await restarted.stop()


async def test_a_lease_whose_engine_lives_on_this_host_is_refused() -> None:
    leases, key, clock = MemoryLeases(), new_key(), Clock(wall_start=T0)
    here = socket.gethostname()
    await leases.acquire(key, Holder("live", here, os.getpid()), clock.now(), TTL, take_over=False)
    with pytest.raises(EngineAlreadyRunning):
        await LeaseKeeper(leases, key, clock, Losses(), holder=Holder("new", here, 303)).start()


async def test_a_taken_over_engine_notices_within_one_renewal_and_leaves_the_lease() -> None:
    leases, key, lost = MemoryLeases(), new_key(), Losses()
    first = keeper(leases, key, lost)
    await first.start()
    await asyncio.sleep(1)
    second = LeaseKeeper(leases, key, Clock(wall_start=T0), Losses(), holder=B)
    await second.start(take_over=True)
    await asyncio.sleep(5)
    assert (lost.count, first.lost) == (1, True)
    await asyncio.sleep(60)
    assert lost.count == 1  # told once; it stopped renewing
    await first.stop()
    assert leases.leases[key].holder == B  # not released: it is the new engine's


class Flaky(MemoryLeases):
    """Renewal fails (a database hiccup) a given number of times first."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def renew(self, key: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        if self.failures:
            self.failures -= 1
            raise OSError("connection reset")
        return await super().renew(key, owner, now, ttl)


async def test_a_failed_renewal_is_retried_not_taken_for_a_loss(
    caplog: pytest.LogCaptureFixture,
) -> None:
    leases, key, lost = Flaky(failures=2), new_key(), Losses()
    first = keeper(leases, key, lost)
    await first.start()
    await asyncio.sleep(15.5)
    assert lost.count == 0
    assert leases.leases[key].renewed_at == T0 + timedelta(seconds=15)
    assert "could not renew" in caplog.text
    await first.stop()


def test_renewing_must_come_before_expiry() -> None:
    with pytest.raises(ValueError, match="within the TTL"):
        LeaseKeeper(MemoryLeases(), "k", Clock(), Losses(), ttl_s=5, renew_every_s=5)


class Unreachable(MemoryLeases):
    async def release(self, key: str, owner: str) -> None:
        raise OSError("database down")


async def test_a_failed_release_does_not_stop_the_engine_from_stopping(
    caplog: pytest.LogCaptureFixture,
) -> None:
    leases, key = Unreachable(), new_key()
    first = keeper(leases, key, Losses())
    await first.start()
    await first.stop()
    assert "could not release" in caplog.text
    assert leases.leases[key].holder == A  # left to expire
