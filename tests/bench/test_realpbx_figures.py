"""The real-Asterisk benchmark's arithmetic (bench/realpbx_figures.py): which callers reached
an agent and how long after the agent's answer they were bridged, read from Asterisk's events
the same way for the engine's calls and app_queue's; CPU and traffic per call; its engine
config valid and open whenever it runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from acd.settings import load_settings
from bench.realpbx_figures import (
    BridgeWatch,
    Counts,
    cpu_seconds,
    per_call,
    percentile,
    scenario_figures,
)
from bench.realpbx_pbx import ENGINE_NUMBERS, write_engine_config
from foundation.calendars import status

pytestmark = pytest.mark.unit

CALLER, AGENT, OTHER_AGENT = "PJSIP/caller-00000001", "PJSIP/agent7-00000002", "PJSIP/agent8-3"


def _at(ms: int) -> str:
    return f"2026-12-03T04:35:{ms // 1000:02d}.{ms % 1000:03d}+0000"


def up(channel_id: str, name: str, ms: int) -> dict[str, Any]:
    channel = {"id": channel_id, "name": name, "state": "Up"}
    return {"type": "ChannelStateChange", "timestamp": _at(ms), "channel": channel}


def ringing(channel_id: str, name: str, ms: int) -> dict[str, Any]:
    channel = {"id": channel_id, "name": name, "state": "Ringing"}
    return {"type": "ChannelStateChange", "timestamp": _at(ms), "channel": channel}


def entered(channel_id: str, name: str, bridge: str, members: list[str], ms: int) -> dict[str, Any]:
    return {
        "type": "ChannelEnteredBridge",
        "timestamp": _at(ms),
        "bridge": {"id": bridge, "channels": members},
        "channel": {"id": channel_id, "name": name, "state": "Up"},
    }


def watch(*events: dict[str, Any]) -> BridgeWatch:
    seen = BridgeWatch()
    for event in events:
        seen.feed(event)
    return seen


def test_the_engine_way_the_agent_joins_the_callers_bridge() -> None:
    seen = watch(
        up("c1", CALLER, 1_000),
        entered("c1", CALLER, "br-1", ["c1"], 1_002),
        ringing("a1", AGENT, 1_010),
        up("a1", AGENT, 1_210),
        entered("a1", AGENT, "br-1", ["c1", "a1"], 1_214),
    )
    assert seen.reached == {"c1"}
    assert seen.latencies_ms() == pytest.approx([4.0])


def test_the_app_queue_way_the_agent_is_bridged_before_the_caller_enters() -> None:
    seen = watch(
        up("c1", CALLER, 5_000),
        up("a1", AGENT, 5_400),
        entered("a1", AGENT, "b", ["a1"], 5_400),
        entered("c1", CALLER, "b", ["a1", "c1"], 5_401),
    )
    assert seen.reached == {"c1"}
    assert seen.latencies_ms() == pytest.approx([1.0])


def test_a_caller_alone_in_a_bridge_and_an_agent_without_caller_are_not_counted() -> None:
    seen = watch(
        up("c1", CALLER, 1_000),
        entered("c1", CALLER, "hold", ["c1"], 1_001),  # waited, hung up: never reached
        up("a1", AGENT, 2_000),  # answered after the caller had gone
        entered("a1", AGENT, "br-2", ["a1"], 2_001),
    )
    assert seen.reached == set()
    assert seen.latencies_ms() == []


def test_a_leg_in_the_callers_bridge_before_its_answer_is_bridged_at_once() -> None:
    seen = watch(
        up("c1", CALLER, 1_000),
        entered("c1", CALLER, "br-1", ["c1"], 1_001),
        ringing("a1", AGENT, 1_005),
        entered("a1", AGENT, "br-1", ["c1", "a1"], 1_006),
        up("a1", AGENT, 1_300),
    )
    assert seen.latencies_ms() == [0.0]


def test_each_agent_leg_counts_once_and_only_its_first_bridge() -> None:
    seen = watch(
        up("c1", CALLER, 1_000),
        entered("c1", CALLER, "br-1", ["c1"], 1_000),
        up("a1", AGENT, 1_100),
        entered("a1", AGENT, "br-1", ["c1", "a1"], 1_103),
        up("a2", OTHER_AGENT, 1_100),
        entered("a2", OTHER_AGENT, "br-1", ["c1", "a1", "a2"], 1_110),  # a1 not again
    )
    assert sorted(seen.latencies_ms()) == pytest.approx([3.0, 10.0])


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="percentile q"):
        percentile(values, 0)


def test_cpu_seconds_adds_user_and_system_time_even_with_spaces_in_the_name() -> None:
    stat = "4242 (python -m x) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 130 0 0 20 0 9 0 1 2 3"
    assert cpu_seconds(stat, 100) == pytest.approx(3.8)


def test_a_row_is_per_offered_call() -> None:
    delta = Counts(1.2, 0.9, 800, 900, 460_000) - Counts(0.2, 0.1, 0, 100, 60_000)
    seen = watch(
        up("c1", CALLER, 1_000),
        up("a1", AGENT, 1_100),
        entered("a1", AGENT, "b", ["a1"], 1_100),
        entered("c1", CALLER, "b", ["a1", "c1"], 1_102),
    )
    row = scenario_figures(100, delta, seen, engine_side=True)
    assert row == {
        "offered": 100,
        "reached_agent": 1,
        "asterisk_cpu_ms_per_call": 8.0,
        "bridged_ms_p50": 2.0,
        "bridged_ms_p99": 2.0,
        "engine_cpu_ms_per_call": 10.0,
        "rest_requests_per_call": 8.0,
        "events_per_call": 8.0,
        "event_kb_per_call": 4.0,
    }
    assert "engine_cpu_ms_per_call" not in scenario_figures(100, delta, seen, engine_side=False)
    assert per_call(5, 0) is None


@pytest.mark.parametrize(
    ("first", "event_filter", "rest_over"),
    [(True, True, "websocket"), (False, True, "http"), (False, False, "websocket")],
)
def test_the_engine_config_is_valid_and_both_lines_open_now(
    tmp_path: Path, first: bool, event_filter: bool, rest_over: str
) -> None:
    write_engine_config(
        tmp_path, agents=3, event_filter=event_filter, rest_over=rest_over, first=first
    )
    settings = load_settings(tmp_path, env={})
    assert settings.ari.event_filter is event_filter
    assert settings.ari.rest_over == rest_over
    assert {line.numbers[0] for line in settings.lines} == set(ENGINE_NUMBERS[first].values())
    for line in settings.lines:
        assert status(settings.line_calendar(line), datetime.now(UTC)).open, line.id
