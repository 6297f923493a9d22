"""Issue 16, item 5: the events WebSocket is down for 30 s (the emulator drops it and refuses
new ones) while calls are bridged, ringing and queued.  The engine reconnects with backoff and
resynchronises from ARI: a caller who hung up meanwhile is ended, an offer still ringing goes
on (answered after the outage, never rung again), an offer whose leg vanished meanwhile is
resolved without holding it against the agent; no agent is rung twice for one contact nor for
two at once; the outage is logged once each way and counted once.

As on Asterisk (the emulator follows it): while no socket is connected the application is
inactive, so a new caller cannot enter it (the dialplan goes on past ``Stasis()``) and an
agent's leg answered meanwhile cannot either (it is hung up).  A deployment's dialplan decides
what such a caller hears (docs/architecture.md, "What happens on each failure")."""

from __future__ import annotations

import logging
from collections import defaultdict

import pytest

from emulator import EndpointBehaviour
from emulator.scripts import Mode
from foundation.contact import Activity, Outcome
from tests.system.harness import system


def _originations(s) -> dict[str, list[str]]:
    """Agent resource -> the contacts its phone was dialled for, in order (agent legs are
    ``ag-<unique>.<contact id>``)."""
    rung: dict[str, list[str]] = defaultdict(list)
    for request in s.emu.requests("POST", "/ari/channels"):
        endpoint = str(request.query.get("endpoint", ""))
        channel = str(request.query.get("channelId") or request.path.rsplit("/", 1)[-1])
        if endpoint.startswith("PJSIP/100") and channel.startswith("ag-"):
            rung[endpoint.split("/", 1)[1]].append(channel.split(".", 1)[1])
    return rung


def _scrape(s, family: str) -> float:
    for line in s.engine.metrics.render().decode().splitlines():
        if line.startswith(family + "{") and 'dependency="ari"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{family} not on /metrics")


async def test_a_30_s_websocket_outage_loses_no_caller_and_rings_no_agent_twice(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    behaviours = {
        "1001": EndpointBehaviour(Mode.ANSWER, 1.0),
        "1002": EndpointBehaviour(Mode.ANSWER, 40.0),  # rings across the outage
    }
    overrides = {"engine.ring_timeout_s": "60", "ari.reconnect_max_s": "8"}
    async with system(tmp_path, behaviours, overrides=overrides) as s:
        s.login("1001")
        talking = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(talking) == "1001")
        s.login("1002")
        ringing = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.agent("1002").activity is Activity.RINGING)
        queued = s.emu.pbx.place_call("1700")
        await s.until(lambda: len(s.engine.core.contacts) == 3)

        caplog.set_level(logging.INFO)
        await s.emu.drop_websockets(refuse_for_s=30)
        await s.until(lambda: not s.engine.stream.connected)
        await s.wait(5)
        s.emu.pbx.hangup_from_phone(queued)  # its StasisEnd is lost
        await s.wait(20)
        assert not s.engine.stream.connected
        assert _scrape(s, "acd_dependency_up") == 0.0
        await s.until(lambda: s.engine.stream.connected, timeout_s=60)
        assert s.agent("1002").activity is Activity.RINGING  # the offer goes on
        assert s.bridged_agent(talking) == "1001"  # never cut

        await s.until(lambda: s.bridged_agent(ringing) == "1002")
        later = s.emu.pbx.place_call("1700")  # 1001 takes it after the first call and wrap-up
        s.emu.pbx.hangup_from_phone(talking)
        await s.until(lambda: s.bridged_agent(later) == "1001")
        s.emu.pbx.hangup_from_phone(ringing)
        s.emu.pbx.hangup_from_phone(later)
        await s.until(lambda: not s.engine.core.contacts)
        records = {r.channel_id: r for r in await s.records()}

        assert records[queued].outcome is Outcome.ABANDONED
        assert records[queued].ended_at is not None
        for served in (talking, ringing, later):
            assert records[served].outcome is Outcome.ANSWERED
        assert len(records) == 4  # each caller recorded once
        rung = _originations(s)
        assert rung["1001"] == [records[talking].id, records[later].id]
        assert rung["1002"] == [records[ringing].id]  # the resync did not ring it again
        assert _scrape(s, "acd_dependency_up") == 1.0
        assert _scrape(s, "acd_dependency_outages_total") == 1.0
        said = [r.getMessage() for r in caplog.records if r.name == "acd.outages"]
        assert len([m for m in said if m.startswith("ari outage began")]) == 1
        assert len([m for m in said if m.startswith("ari outage over")]) == 1


async def test_an_agent_who_answers_during_the_outage_is_not_marked_missed(tmp_path) -> None:
    """Asterisk hangs up the answered leg (the app is inactive); the resync finds it gone with
    no cause: the offer is over, the caller offered again, the agent not penalised."""
    behaviours = {"1002": EndpointBehaviour(Mode.ANSWER, 20.0)}
    async with system(tmp_path, behaviours, overrides={"engine.ring_timeout_s": "60"}) as s:
        s.login("1002")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.agent("1002").activity is Activity.RINGING)
        await s.emu.drop_websockets(refuse_for_s=30)
        await s.until(lambda: not s.engine.stream.connected)
        await s.until(lambda: s.engine.stream.connected, timeout_s=60)
        view = s.agent("1002")
        assert (view.presence.value, view.reason) == ("available", None)
        await s.until(lambda: s.bridged_agent(caller) == "1002")  # offered again, answered
        (record,) = [r for r in await s.records() if r.channel_id == caller]
        assert [o.result.value if o.result else None for o in record.offers] == [
            "no_answer",
            "answered",
        ]
