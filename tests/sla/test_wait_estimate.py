"""The wait estimate as plain arithmetic, and the rolling handle times behind it."""

from __future__ import annotations

import itertools

import pytest

from sla.wait_estimate import MEDIAN_OFFSET, HandleTimes, estimate_wait

H = 300.0  # mean handle time, s


@pytest.mark.parametrize(
    ("position", "agents", "free", "delay", "expected"),
    [
        (1, 10, 0, 0.0, (1 - MEDIAN_OFFSET) * H / 10),  # next: two thirds of one gap
        (4, 10, 0, 0.0, (4 - MEDIAN_OFFSET) * H / 10),
        (4, 2, 0, 0.0, (4 - MEDIAN_OFFSET) * H / 2),  # fewer agents, longer gaps
        (4, 10, 0, 5.0, (4 - MEDIAN_OFFSET) * H / 10 + 5.0),  # plus the ring before answer
        (3, 10, 1, 0.0, (2 - MEDIAN_OFFSET) * H / 10),  # a free agent takes the first
        (3, 10, 3, 4.0, 4.0),  # enough free agents: only the ring
        (1, 10, 5, 0.0, 0.0),
    ],
)
def test_estimate(position, agents, free, delay, expected):
    assert estimate_wait(
        position, agents, H, free_agents=free, answer_delay_s=delay
    ) == pytest.approx(expected)


def test_no_estimate_when_nobody_serves_the_line_code():
    assert estimate_wait(3, 0, H) is None


def test_a_later_position_never_waits_less():
    waits = [estimate_wait(p, 7, H) or 0.0 for p in range(1, 50)]
    assert all(a < b for a, b in itertools.pairwise(waits))


def test_a_position_below_one_is_a_bug():
    with pytest.raises(ValueError, match="starts at 1"):
        estimate_wait(0, 3, H)


def test_handle_times_lean_on_the_default_until_history_builds_up():
    times = HandleTimes(window=100, default_s=300.0, prior_weight=5.0)
    assert times.mean("A") == 300.0
    times.add("A", 60.0)
    assert times.mean("A") == pytest.approx((60 + 5 * 300) / 6)  # one short call moves it a bit
    for _ in range(995):
        times.add("A", 60.0)
    assert times.mean("A") == pytest.approx((100 * 60 + 5 * 300) / 105)


def test_handle_times_keep_only_the_last_window_per_line_code():
    times = HandleTimes(window=3, prior_weight=0)
    for handle in (100.0, 200.0, 300.0, 400.0):
        times.add("A", handle)
    times.add("B", 50.0)
    assert times.count("A") == 3
    assert times.mean("A") == pytest.approx(300.0)  # 100 dropped
    assert times.mean("B") == pytest.approx(50.0)
    assert times.count("C") == 0
    assert times.mean("C") == times.default_s


def test_a_running_total_does_not_drift():
    times = HandleTimes(window=7, prior_weight=0)
    handles = [(i * 37.3) % 611 for i in range(20_000)]
    for handle in handles:
        times.add("A", handle)
    assert times.mean("A") == pytest.approx(sum(handles[-7:]) / 7, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 0}, "window"),
        ({"default_s": -1.0}, "default_s"),
        ({"prior_weight": -1.0}, "prior_weight"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HandleTimes(**kwargs)


def test_negative_handle_times_are_refused():
    with pytest.raises(ValueError, match="negative"):
        HandleTimes().add("A", -1.0)
