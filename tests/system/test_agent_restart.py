"""Issue 10 item 6: agents stay logged in over an engine restart, with their reason, today's
counters and their place in the longest-idle order.

The first test runs engine and emulator in process on the virtual clock and stops the engine
cleanly; the second kills a real ``acd run`` process with SIGKILL (no flush, no ``finally``)
once the agents' states are on disk, and restarts it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from acd.engine import inputs as inp
from acd.engine.desk import agent_today
from acd.records import AgentStateStore
from acd.reports.load import report_for
from acd.reports.period import Period, parse_period
from foundation.clock import hold_clock
from foundation.contact import Activity, AgentRecord, Presence
from tests.system.harness import CONFIG, system
from tests.system.processes import DEADLINE_S, Http, engine_api, listening, process, until


async def test_a_restarted_engine_has_its_agents_back_and_the_longest_idle_answers_next(
    tmp_path: Path,
):
    async with system(tmp_path) as s:
        s.login("1001")
        await s.wait(5)
        s.login("1002", "1003")
        s.engine.runtime.submit(inp.SetPresence("1003", Presence.NOT_AVAILABLE, "lunch"))
        lunch_since = s.agent("1003").presence_since
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1001"  # idle longest
        await s.wait(60)
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: s.agent("1001").activity is Activity.IDLE)  # after the wrap-up
        before = {
            a: (s.agent(a).idle_since, s.agent(a).presence_since) for a in s.engine.core.agents
        }
        stopped_at = s.engine.clock.now()

    # A new engine on the same database, a minute later.
    async with system(tmp_path, start=stopped_at + timedelta(minutes=1)) as s:
        assert {a: (s.agent(a).presence, s.agent(a).reason) for a in ("1001", "1002", "1003")} == {
            "1001": (Presence.AVAILABLE, None),
            "1002": (Presence.AVAILABLE, None),
            "1003": (Presence.NOT_AVAILABLE, "lunch"),
        }
        assert s.agent("1003").presence_since == lunch_since
        assert {a: (s.agent(a).idle_since, s.agent(a).presence_since) for a in before} == before
        first = s.engine.core.agents["1001"]
        assert first.contacts_today == 1
        assert first.talk_time_today_s >= 60
        assert s.engine.core.agents["1002"].contacts_today == 0

        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1002"  # idle since its log-in, before 1001's call


def test_agents_logged_in_before_a_kill_9_are_logged_in_after_the_restart(tmp_path: Path):
    storage = f"sqlite+aiosqlite:///{tmp_path / 'acd.sqlite3'}"
    emulator_log = tmp_path / "emulator.log"
    with process(["emulator", "--config", str(CONFIG), "--port", "0"], emulator_log) as emu:
        ari_url = listening(emu, emulator_log, r"ARI emulator listening on (\S+) ")
        engine_args = [
            "run",
            "--config",
            str(CONFIG),
            "--ari-url",
            ari_url,
            "--listen",
            "127.0.0.1:0",
            "--storage-url",
            storage,
        ]
        with process(engine_args, tmp_path / "engine-1.log") as first:
            api = engine_api(first, tmp_path / "engine-1.log")
            api.post("/api/agents/1001/login", {})
            api.post("/api/agents/1002/login", {})
            api.put("/api/agents/1002/presence", {"presence": "not_available", "reason": "lunch"})
            before = agents(api)
            # The writer saves within ~50 ms; a kill before that would lose the last change.
            until(lambda: on_lunch(storage, "1002"), "1002's lunch is on disk")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=DEADLINE_S)
        assert first.returncode == -signal.SIGKILL

        with process(engine_args, tmp_path / "engine-2.log") as second:
            after = agents(engine_api(second, tmp_path / "engine-2.log"))
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

    assert {a: before[a]["presence"] for a in ("1001", "1002", "1003")} == {
        "1001": "available",
        "1002": "not_available",
        "1003": "logged_out",
    }
    for agent_id in ("1001", "1002", "1003"):
        kept = ("presence", "reason", "presence_since", "activity")
        assert {k: after[agent_id][k] for k in kept} == {k: before[agent_id][k] for k in kept}
    assert after["1002"]["reason"] == "lunch"


def agents(api: Http) -> dict[str, dict[str, object]]:
    return {a["id"]: a for a in api.get("/api/agents")["agents"]}


def on_lunch(storage: str, agent_id: str) -> bool:
    async def stored() -> list[AgentRecord]:
        async with AgentStateStore.open(storage, hold=hold_clock) as store:
            return await store.load()

    return any(r.agent_id == agent_id and r.reason == "lunch" for r in asyncio.run(stored()))


async def test_the_agents_time_today_survives_a_restart_and_the_report_has_its_occupancy(
    tmp_path: Path,
):
    async with system(tmp_path) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        await s.wait(60)
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: s.agent("1001").activity is Activity.IDLE)  # after the wrap-up
        s.engine.runtime.submit(inp.SetPresence("1001", Presence.NOT_AVAILABLE, "lunch"))
        await s.until(lambda: s.agent("1001").presence is Presence.NOT_AVAILABLE)
        await s.wait(120)
        stopped_at = s.engine.clock.now()
        before = agent_today(s.agent("1001"), stopped_at)
    assert before["contacts"] == 1
    assert before["talk_time_s"] >= 60
    assert before["wrap_up_s"] == 10.0  # the test config's maximum
    assert before["handling_s"] == before["talk_time_s"] + before["wrap_up_s"]
    assert 0 < before["occupancy"] < 1

    async with system(tmp_path, start=stopped_at + timedelta(minutes=1)) as s:
        now = s.engine.clock.now()
        after = agent_today(s.agent("1001"), now)
        status, shown = await s.api("GET", "/api/agents/1001/today")
        await s.engine.recorder.flush()
        day = Period(now.replace(hour=0, minute=0), now + timedelta(seconds=1))
        report = await report_for(s.engine.settings, day, made_at=now, hold=s.engine.clock.hold)
    # Everything as before the restart; the lunch went on while the engine was down.
    down_s = (now - stopped_at).total_seconds()
    lunch = "not_available:lunch"
    seconds = before["presence_seconds"]
    assert isinstance(seconds, dict)
    assert after["presence_seconds"] == seconds | {lunch: seconds[lunch] + down_s}
    for name in ("contacts", "talk_time_s", "wrap_up_s", "staffed_s", "handling_s", "occupancy"):
        assert after[name] == before[name], name
    assert status == 200
    assert (shown["staffed_s"], shown["handling_s"]) == (after["staffed_s"], after["handling_s"])
    rows = {row[0]: row for row in report.table("occupancy").rows}
    assert rows["1001"] == (
        "1001",
        round(after["staffed_s"], 4),
        round(after["handling_s"], 4),
        round(after["occupancy"], 4),
    )


async def test_the_report_has_each_days_occupancy_after_a_restart_the_next_day(tmp_path: Path):
    async with system(tmp_path) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        await s.wait(60)
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: s.agent("1001").activity is Activity.IDLE)
        await s.wait(600)
        s.engine.runtime.submit(inp.AgentLogout("1001"))
        await s.until(lambda: s.agent("1001").presence is Presence.LOGGED_OUT)
        first_day = agent_today(s.agent("1001"), s.engine.clock.now())
        stopped_at = s.engine.clock.now()

    async with system(tmp_path, start=stopped_at + timedelta(days=1)) as s:
        assert agent_today(s.agent("1001"), s.engine.clock.now())["staffed_s"] == 0
        s.login("1001")
        await s.wait(300)
        now = s.engine.clock.now()
        second_day = agent_today(s.agent("1001"), now)
        await s.engine.recorder.flush()

        async def occupancy(first: date, last: date) -> tuple[Any, ...]:
            period = parse_period(first.isoformat(), last.isoformat())
            report = await report_for(
                s.engine.settings, period, made_at=now, hold=s.engine.clock.hold
            )
            return next(r for r in report.table("occupancy").rows if r[0] == "1001")

        day_one, day_two = stopped_at.date(), now.date()
        both = await occupancy(day_one, day_two)
        only_first = await occupancy(day_one, day_one)
        only_second = await occupancy(day_two, day_two)
    assert first_day["handling_s"] > 60
    assert only_first[1:3] == (round(first_day["staffed_s"], 4), round(first_day["handling_s"], 4))
    assert only_second[1:3] == (300.0, 0.0)
    assert second_day["staffed_s"] == 300.0
    assert both[1] == pytest.approx(only_first[1] + 300.0)
