"""End to end: the engine against the ARI emulator over loopback HTTP and WebSocket.

Time is virtual: a 15 s ring timeout or a 10 s wrap-up pass in milliseconds."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from emulator import CallerScript, EndpointBehaviour
from foundation.contact import Activity, OfferResult, Outcome, Presence
from tests.system.harness import START, system

GENERAL = "1700 Andere Vragen"


async def test_call_reaches_the_longest_idle_skilled_agent_and_is_bridged(tmp_path):
    async with system(tmp_path) as s:
        s.login("1002")
        await s.wait(5)
        s.login("1001", "1003")  # 1002 has been idle longest; 1003 lacks the line code
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1002"
        assert s.agent("1002").activity is Activity.ON_CALL

        s.emu.pbx.hangup_from_phone(caller)  # the caller ends the call
        await s.until(lambda: not s.emu.pbx.channels)  # the engine hung up the agent too
        # The bridge, empty, is kept for the next call rather than torn down and made again.
        (bridge,) = s.emu.pbx.bridges.values()
        assert not bridge.channel_ids
        assert not s.emu.requests("DELETE", "/ari/bridges/")

        (record,) = await s.records()
        assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "1002")
        assert (record.line, record.line_code, record.caller_number) == (
            "1700",
            GENERAL,
            "0470123456",
        )
        assert [o.result for o in record.offers] == [OfferResult.ANSWERED]
        assert record.queued_at is not None
        assert record.answered_at is not None
        assert record.ended_at is not None
        assert record.arrived_at <= record.queued_at <= record.answered_at <= record.ended_at


async def test_ring_timeout_moves_the_call_to_the_next_agent_and_marks_the_first_missed(tmp_path):
    behaviours = {"1001": EndpointBehaviour.ring_forever()}
    async with system(tmp_path, behaviours) as s:
        s.login("1001")
        await s.wait(1)
        s.login("1002")
        loop = asyncio.get_running_loop()
        caller = s.emu.pbx.place_call("1700")
        await s.until(
            lambda: s.engine.core.contacts and s.agent("1001").activity is Activity.RINGING
        )
        rang_at = loop.time()
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1002"
        assert loop.time() - rang_at >= 15  # the first agent rang for the whole ring timeout
        first = s.agent("1001")
        assert (first.presence, first.reason) == (Presence.NOT_AVAILABLE, "missed")
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.engine.core.contacts)
        (record,) = await s.records()
        assert [(o.agent_id, o.result) for o in record.offers] == [
            ("1001", OfferResult.NO_ANSWER),
            ("1002", OfferResult.ANSWERED),
        ]


async def test_a_busy_agent_is_skipped(tmp_path):
    async with system(tmp_path, {"1001": EndpointBehaviour.busy(0.3)}) as s:
        s.login("1001")
        await s.wait(1)
        s.login("1002")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1002"
        assert s.agent("1001").reason == "missed"
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.engine.core.contacts)
        (record,) = await s.records()
        assert [o.result for o in record.offers] == [OfferResult.BUSY, OfferResult.ANSWERED]


async def test_caller_abandons_while_queued(tmp_path):
    async with system(tmp_path) as s:
        caller = s.emu.pbx.place_call("1700", script=CallerScript(patience_s=30))
        await s.until(lambda: not s.channel_exists(caller))
        await s.until(lambda: not s.engine.core.contacts)
        (record,) = await s.records()
        assert record.outcome is Outcome.ABANDONED
        assert record.offers == []
        assert 25 <= (record.wait_seconds or 0) <= 30  # patience counts from the answer


async def test_caller_abandons_while_the_agent_rings_and_the_agent_leg_is_cancelled(tmp_path):
    async with system(tmp_path, {"1001": EndpointBehaviour.ring_forever()}) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.agent("1001").activity is Activity.RINGING)
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)  # the ringing agent leg is gone too
        assert s.emu.requests("DELETE", "/ari/channels/ag-")  # cancelled by the engine
        agent = s.agent("1001")
        assert (agent.presence, agent.activity) == (Presence.AVAILABLE, Activity.IDLE)
        (record,) = await s.records()
        assert record.outcome is Outcome.ABANDONED
        assert [o.result for o in record.offers] == [OfferResult.CANCELLED]


async def test_the_next_call_talks_in_the_bridge_the_last_one_left_empty(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        bridges = []
        for _ in range(3):
            caller = s.emu.pbx.place_call("1700")
            await s.until(partial(s.bridged_agent, caller))
            (bridge,) = [b for b in s.emu.pbx.bridges.values() if caller in b.channel_ids]
            bridges.append(bridge.id)
            s.emu.pbx.hangup_from_phone(caller)
            await s.until(lambda: not s.emu.pbx.channels)
            await s.wait(15)  # the agent's wrap-up
        assert len(set(bridges)) == 1  # one bridge served all three calls
        made = [r for r in s.emu.requests("POST", "/ari/bridges") if r.path.count("/") == 3]
        assert len(made) == 1  # made once, for the first call
        assert not s.emu.requests("DELETE", "/ari/bridges/")
        records = await s.records()
        assert [r.outcome for r in records] == [Outcome.ANSWERED] * 3


async def test_a_kept_bridge_destroyed_at_the_console_does_not_keep_the_next_call_apart(
    tmp_path,
):
    async with system(tmp_path) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(partial(s.bridged_agent, caller))
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        (kept,) = s.emu.pbx.bridges
        s.emu.pbx.bridging.destroy(kept)  # `bridge destroy` at Asterisk's console
        await s.wait(15)
        caller = s.emu.pbx.place_call("1700")
        await s.until(partial(s.bridged_agent, caller))  # in a bridge made anew
        assert s.agent("1001").activity is Activity.ON_CALL
        assert kept not in s.emu.pbx.bridges
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        records = await s.records()
        assert [r.outcome for r in records] == [Outcome.ANSWERED] * 2


async def test_agent_hangs_up_first_and_the_caller_is_hung_up(tmp_path):
    behaviours = {"1001": EndpointBehaviour.answer(1.0, hangup_after_s=20.0)}
    async with system(tmp_path, behaviours) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        await s.until(lambda: not s.channel_exists(caller))  # hung up by the engine
        assert s.emu.requests("DELETE", f"/ari/channels/{caller}")
        assert all(not b.channel_ids for b in s.emu.pbx.bridges.values())  # no one left in one
        (record,) = await s.records()
        assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "1001")


async def test_wrap_up_then_idle_and_the_next_call_waits_for_it(tmp_path):
    behaviours = {"1001": EndpointBehaviour.answer(1.0, hangup_after_s=30.0)}
    async with system(tmp_path, behaviours) as s:
        loop = asyncio.get_running_loop()
        s.login("1001")
        first = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(first))
        await s.until(lambda: s.agent("1001").activity is Activity.WRAP_UP)
        wrap_up_from = loop.time()
        second = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(second))
        assert loop.time() - wrap_up_from >= 10  # not offered during the 10 s wrap-up
        assert s.bridged_agent(second) == "1001"


async def test_unknown_line_is_logged_and_hung_up_politely(tmp_path, caplog):
    async with system(tmp_path, extra_dialplan={"1799": ("inbound", "1799")}) as s:
        caller = s.emu.pbx.place_call("1799")
        await s.until(lambda: not s.channel_exists(caller))
        assert s.emu.requests("POST", f"/ari/channels/{caller}/play")  # the polite refusal
        (record,) = await s.records()
        assert (record.outcome, record.line) == (Outcome.UNKNOWN_LINE, None)
    assert "unknown line" in caplog.text


async def test_events_websocket_drops_mid_call_and_the_call_survives(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        await s.emu.drop_websockets(refuse_for_s=3)
        await s.until(lambda: not s.engine.stream.connected)
        await s.until(lambda: s.engine.stream.connected)
        assert s.engine.stream.reconnects >= 1
        assert s.bridged_agent(caller) == "1001"  # still talking
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        (record,) = await s.records()
        assert record.outcome is Outcome.ANSWERED


async def test_caller_hangup_lost_during_an_outage_is_found_on_reconnect(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        agent_leg = s.emu.pbx.bridged_with(caller)[0]
        await s.emu.drop_websockets(refuse_for_s=5)
        await s.until(lambda: not s.engine.stream.connected)
        s.emu.pbx.hangup_from_phone(caller)  # its StasisEnd is lost: nobody is listening
        await s.until(lambda: s.engine.stream.connected)
        await s.until(lambda: not s.channel_exists(agent_leg))  # resync hung the agent up
        await s.until(lambda: s.agent("1001").activity is not Activity.ON_CALL)
        (record,) = await s.records()
        assert record.outcome is Outcome.ANSWERED
        assert record.ended_at is not None


@pytest.mark.postgres
async def test_contact_rows_land_in_postgresql(tmp_path, postgres_url):
    async with system(tmp_path, storage_url=postgres_url) as s:
        s.login("1001")
        answered = s.emu.pbx.place_call("1700", caller_number="0470111111")
        await s.until(lambda: s.bridged_agent(answered))
        s.emu.pbx.hangup_from_phone(answered)
        abandoned = s.emu.pbx.place_call("1700", caller_number="0470222222")
        await s.until(lambda: s.agent("1001").activity is Activity.WRAP_UP)
        s.emu.pbx.hangup_from_phone(abandoned)
        await s.until(lambda: not s.engine.core.contacts)
        await s.engine.recorder.flush()
        rows = {
            r.caller_number: r
            for r in await s.engine.store.list(since=START)
            if r.caller_number in {"0470111111", "0470222222"}
        }
        assert rows["0470111111"].outcome is Outcome.ANSWERED
        assert rows["0470111111"].agent_id == "1001"
        assert rows["0470222222"].outcome is Outcome.ABANDONED
        abandoned_at = rows["0470222222"].ended_at
        assert abandoned_at is not None
        assert abandoned_at.tzinfo is not None
