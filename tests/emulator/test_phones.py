"""The phone side: scripted callers, BYE, DTMF, refused calls (Python API)."""

from __future__ import annotations

import asyncio

from emulator import CallerScript, DtmfPress
from tests.emulator.ari import Ari


async def bridge_with_agent(ari: Ari, caller_id: str) -> str:
    """Answer the caller, bridge it with agent1 (answers after 1 s); returns the agent id."""
    events = await ari.events("agents")  # a second app keeps this helper's events apart
    await ari.call("POST", f"/channels/{caller_id}/answer")
    await ari.call("POST", "/bridges/b1", type="mixing")
    await ari.call("POST", "/bridges/b1/addChannel", channel=caller_id)
    await ari.call("POST", "/channels/ag-1", endpoint="PJSIP/agent1", app="agents")
    await events.wait_for("StasisStart")
    await ari.call("POST", "/bridges/b1/addChannel", channel="ag-1")
    return "ag-1"


async def test_the_caller_presses_digits_after_the_answer(ari: Ari) -> None:
    events = await ari.events()
    script = CallerScript(dtmf=(DtmfPress(1.0, "1"), DtmfPress(1.6, "#", 160)))
    channel_id = ari.emu.pbx.place_call("1700", script=script)
    await events.wait_for("StasisStart")
    loop = asyncio.get_running_loop()
    await asyncio.sleep(5)
    assert not [e for e in events.events if e["type"] == "ChannelDtmfReceived"]  # not answered
    await ari.call("POST", f"/channels/{channel_id}/answer")
    answered_at = loop.time()
    first = await events.wait_for("ChannelDtmfReceived")
    assert (first["digit"], first["duration_ms"]) == ("1", 280)
    assert abs(loop.time() - answered_at - 1.28) < 0.01
    second = await events.wait_for("ChannelDtmfReceived")
    assert (second["digit"], second["duration_ms"]) == ("#", 160)


async def test_the_caller_hangs_up_after_n_seconds_from_the_call_start(ari: Ari) -> None:
    events = await ari.events()
    loop = asyncio.get_running_loop()
    start = loop.time()
    channel_id = ari.emu.pbx.place_call("1700", script=CallerScript(hangup_after_s=30))
    hangup = await events.wait_for("ChannelHangupRequest")
    assert "cause" not in hangup
    assert "soft" not in hangup
    await events.wait_for("StasisEnd")
    assert abs(loop.time() - start - 30) < 0.01
    assert ari.emu.pbx.history[channel_id].ended_at is not None
    await asyncio.sleep(1)
    assert "ChannelDestroyed" not in events.types()  # a dialplan channel: unsubscribed at StasisEnd


async def test_patience_runs_out_when_nobody_takes_the_call(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700", script=CallerScript(patience_s=45))
    await events.wait_for("StasisStart")
    await asyncio.sleep(100)  # not answered: patience counts from the answer
    assert channel_id in ari.emu.pbx.channels
    await ari.call("POST", f"/channels/{channel_id}/answer")
    await events.wait_for("StasisEnd")
    assert channel_id not in ari.emu.pbx.channels


async def test_talk_time_starts_when_bridged_with_someone(ari: Ari) -> None:
    events = await ari.events()
    script = CallerScript(patience_s=10, talk_s=20)
    caller = ari.emu.pbx.place_call("1701", script=script)
    await events.wait_for("StasisStart")
    loop = asyncio.get_running_loop()
    agent = await bridge_with_agent(ari, caller)
    bridged_at = loop.time()
    assert ari.emu.pbx.bridged_with(caller) == [agent]
    await events.wait_for("StasisEnd", channel__id=caller)
    assert abs(loop.time() - bridged_at - 20) < 0.01
    # The agent stays in the bridge, Up and in Stasis: the application must clean up.
    assert ari.emu.pbx.channels[agent].state == "Up"
    assert ari.emu.pbx.channels[agent].stasis_app == "agents"
    assert ari.emu.pbx.bridges["b1"].channel_ids == [agent]
    assert ari.emu.pbx.history[caller].bridged_with == [agent]


async def test_a_bye_from_the_phone(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1702")
    await events.wait_for("StasisStart")
    ari.emu.pbx.hangup_from_phone(channel_id, cause=16)
    assert (await events.wait_for("ChannelHangupRequest"))["cause"] == 16
    assert ari.emu.pbx.channel_count == 0


async def test_dtmf_at_any_time_from_the_python_api(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    await ari.call("POST", f"/channels/{channel_id}/answer")
    ari.emu.pbx.send_dtmf(channel_id, "12#", duration_ms=100, gap_s=0.5)
    digits = [(await events.wait_for("ChannelDtmfReceived"))["digit"] for _ in range(3)]
    assert digits == ["1", "2", "#"]


async def test_a_number_not_in_the_dialplan_is_refused(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("9999")
    await asyncio.sleep(1)
    assert events.events == []
    record = ari.emu.pbx.history[channel_id]
    assert (record.rejected, record.cause) == (True, 1)


async def test_without_an_events_socket_stasis_fails_and_the_call_ends(ari: Ari) -> None:
    channel_id = ari.emu.pbx.place_call("1700")
    assert channel_id not in ari.emu.pbx.channels
    assert ari.emu.pbx.history[channel_id].ended_at is not None


async def test_playback_cut_by_the_hangup_fails(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    await ari.call("POST", f"/channels/{channel_id}/answer")
    await ari.call("POST", f"/channels/{channel_id}/play/p1", media="sound:tt-monkeys")
    await events.wait_for("PlaybackStarted")
    ari.emu.pbx.hangup_from_phone(channel_id)
    finished = await events.wait_for("PlaybackFinished")
    assert finished["playback"]["state"] == "failed"
