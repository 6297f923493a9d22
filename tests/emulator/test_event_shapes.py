"""Everything the emulator sends parses with the engine's own event parser (acd.ari.events)."""

from __future__ import annotations

import asyncio
import re

from acd.ari.events import (
    ChannelDestroyed,
    ChannelDtmfReceived,
    Dial,
    MalformedEvent,
    PlaybackFinished,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from tests.emulator.ari import Ari

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


async def test_a_busy_scenario_parses_into_typed_events(ari: Ari) -> None:
    events = await ari.events()
    caller = ari.emu.pbx.place_call("1701", caller_number="0470", caller_name="Jan")
    await asyncio.sleep(0.1)  # (not wait_for: it would take the event out of the list)
    await ari.call("POST", f"/channels/{caller}/answer")
    await ari.call("POST", "/bridges/b1", type="mixing")
    await ari.call("POST", "/bridges/b1/addChannel", channel=caller)
    await ari.call("POST", f"/channels/{caller}/play/p1", media="sound:queue-thankyou,beep")
    await ari.call("POST", "/channels/a4", endpoint="PJSIP/agent4", app="acd")
    await ari.call("POST", "/channels/a1", endpoint="PJSIP/agent1", app="acd", appArgs="agent")
    await asyncio.sleep(1.5)  # agent1 answers after 1 s
    await ari.call("POST", "/bridges/b1/addChannel", channel="a1")
    await ari.call("POST", "/bridges/b1/record", name="rec", format="wav", maxDurationSeconds=2)
    ari.emu.pbx.send_dtmf(caller, "5")
    await asyncio.sleep(3)
    await ari.call("DELETE", f"/channels/{caller}", reason="busy")
    await ari.call("DELETE", "/channels/a1")
    await ari.call("DELETE", "/bridges/b1")
    await asyncio.sleep(1)
    raw = events.take()
    parsed = [parse_event(e) for e in raw]
    assert not [p for p in parsed if isinstance(p, MalformedEvent)]
    assert {p.type for p in parsed if isinstance(p, UnknownEvent)} <= {
        "ChannelCreated",
        "ChannelDialplan",
        "ChannelConnectedLine",
        "PlaybackContinuing",
    }
    assert all(_TIMESTAMP.match(e["timestamp"]) for e in raw)
    assert {e["asterisk_id"] for e in raw} == {"02:fc:00:00:00:01"}
    kinds = {type(p) for p in parsed}
    assert {StasisStart, Dial, ChannelDtmfReceived, PlaybackFinished, ChannelDestroyed} <= kinds
    types = [e["type"] for e in raw]
    for expected in ("RecordingStarted", "RecordingFinished", "BridgeDestroyed", "StasisEnd"):
        assert expected in types
    busy = next(p for p in parsed if isinstance(p, Dial) and p.dialstatus == "BUSY")
    assert busy.peer.id == "a4"
