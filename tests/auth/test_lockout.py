"""The lockout's counting on an injected clock: a window, a lockout that runs out, success
clearing the count, stale keys pruned."""

from __future__ import annotations

import pytest

from acd.auth import lockout
from acd.auth.lockout import Lockout

pytestmark = pytest.mark.unit


class Time:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_failures_within_the_window_lock_until_the_lockout_runs_out():
    time = Time()
    locks = Lockout(time, max_failures=3, window_s=60, lockout_s=300)
    assert not locks.failed("u")
    assert not locks.failed("u")
    assert locks.locked_for("u") is None
    assert locks.failed("u")
    assert locks.locked_for("u") == 300
    time.t += 299
    assert locks.locked_for("u") == pytest.approx(1)
    time.t += 1.5
    assert locks.locked_for("u") is None
    assert not locks.failed("u")  # a fresh count after the lockout


def test_failures_spread_beyond_the_window_do_not_lock_and_success_clears():
    time = Time()
    locks = Lockout(time, max_failures=2, window_s=60, lockout_s=300)
    locks.failed("u")
    time.t += 61
    assert not locks.failed("u")  # the first one is out of the window
    locks.succeeded("u")
    assert not locks.failed("u")


def test_stale_keys_are_pruned(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lockout, "PRUNE_ABOVE", 10)
    time = Time()
    locks = Lockout(time, max_failures=1, window_s=60, lockout_s=300)
    for n in range(11):
        locks.failed(f"made-up-{n}")
    time.t += 301
    locks.failed("one more")
    assert len(locks._counts) == 1
