"""The events an ACD ignores but must receive and pay for, and the filter that spares them."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from tests.emulator.ari import Ari, EventStream

NOISE_TYPES = ("ChannelVarset", "ChannelDialplan", "ChannelConnectedLine", "DeviceStateChanged")


async def _basic_call(ari: Ari, events: EventStream, *, sees_end: bool = True) -> None:
    """Caller to agent1 in a mixing bridge; the caller hangs up; the app cleans up."""
    caller = ari.emu.pbx.place_call("1701", caller_number="caller", caller_name="Caller 1")
    await events.wait_for("StasisStart", channel__id=caller)
    await ari.call("POST", f"/channels/{caller}/answer")
    await ari.call("POST", "/bridges/br-1", type="mixing")
    await ari.call("POST", "/bridges/br-1/addChannel", channel=caller)
    await ari.call("POST", "/channels/ag-1", endpoint="PJSIP/agent1", app="acd", appArgs="agent")
    await events.wait_for("StasisStart", channel__id="ag-1")
    await ari.call("POST", "/bridges/br-1/addChannel", channel="ag-1")
    await asyncio.sleep(5)
    ari.emu.pbx.hangup_from_phone(caller)
    if sees_end:
        await events.wait_for("StasisEnd", channel__id=caller)
    await asyncio.sleep(0.1)
    await ari.call("DELETE", "/channels/ag-1")
    await ari.call("DELETE", "/bridges/br-1")
    await asyncio.sleep(1)


async def test_an_observer_of_everything_hears_as_much_as_from_asterisk(ari: Ari) -> None:
    app = await ari.events("acd")
    watcher_ws = await ari.session.ws_connect(ari.emu.events_url("watch") + "&subscribeAll=true")
    watcher = EventStream(watcher_ws)
    await _basic_call(ari, app)
    seen = watcher.take()
    types = Counter(e["type"] for e in seen)
    size = sum(len(json.dumps(e)) for e in seen)
    # Asterisk 22.10.1: 62 events, ~38 kB, 28 ChannelVarset, 42 of the four noise types.
    assert 50 <= len(seen) <= 80, types
    assert 30_000 <= size <= 50_000
    assert types["ChannelVarset"] >= 25
    assert all(types[t] for t in NOISE_TYPES), types
    states = [e["device_state"] for e in seen if e["type"] == "DeviceStateChanged"]
    agent = [s["state"] for s in states if s["name"] == "PJSIP/agent1"]
    assert agent == ["RINGING", "INUSE", "NOT_INUSE"]


async def test_bridge_peer_noise_names_the_other_parties(ari: Ari) -> None:
    events = await ari.events("acd")
    await _basic_call(ari, events)
    varsets = [e for e in events.take() if e["type"] == "ChannelVarset"]
    agent = [(e["variable"], e["value"]) for e in varsets if e["channel"]["id"] == "ag-1"]
    peer = [v for k, v in agent if k == "BRIDGEPEER"]
    assert peer[:3] == [peer[0]] * 3  # three rounds: the bridge went native_rtp
    assert peer[0].startswith("PJSIP/caller-")
    assert peer[-1] == ""  # cleared as it leaves
    qos = [k for k, _ in agent if k.startswith("RTPAUDIOQOS")]
    assert qos[:5] == [  # copies of the caller's statistics: its lone bridge peer hung up
        "RTPAUDIOQOSBRIDGED",
        "RTPAUDIOQOSJITTERBRIDGED",
        "RTPAUDIOQOSLOSSBRIDGED",
        "RTPAUDIOQOSRTTBRIDGED",
        "RTPAUDIOQOSMESBRIDGED",
    ]
    assert len(qos) == 10


async def _filter(ari: Ari, body: Any) -> tuple[int, Any]:
    return await ari.call("PUT", "/applications/acd/eventFilter", json_body=body)


async def test_a_disallowed_type_is_never_sent(ari: Ari) -> None:
    events = await ari.events("acd")
    status, app = await _filter(ari, {"disallowed": [{"type": t} for t in NOISE_TYPES]})
    assert status == 200
    assert app["events_disallowed"] == [{"type": t} for t in NOISE_TYPES]
    await _basic_call(ari, events)
    assert not set(events.types()) & set(NOISE_TYPES)


async def test_an_allowed_list_lets_only_its_types_through_and_disallowed_wins(ari: Ari) -> None:
    events = await ari.events("acd")
    allowed = [{"type": "StasisStart"}, {"type": "StasisEnd"}, {"type": "ChannelDestroyed"}]
    await _filter(ari, {"allowed": allowed, "disallowed": [{"type": "StasisEnd"}]})
    await _basic_call(ari, events, sees_end=False)
    assert set(events.types()) == {"ChannelDestroyed"}  # the StasisStarts were waited for


async def test_filter_bodies_as_asterisk_reads_them(ari: Ari) -> None:
    await ari.events("acd")
    disallowed = [{"type": "ChannelVarset"}]
    await _filter(ari, {"disallowed": disallowed})
    status, app = await _filter(ari, {"allowed": [{"type": "NoSuchEvent"}]})
    assert status == 200  # unknown names are kept; the other list is left alone
    assert (app["events_allowed"], app["events_disallowed"]) == (
        [{"type": "NoSuchEvent"}],
        disallowed,
    )
    assert await _filter(ari, {"allowed": "not-a-list"}) == (
        400,
        {"message": "Invalid format definition"},
    )
    status, app = await _filter(ari, None)  # no body: both lists cleared
    assert (app["events_allowed"], app["events_disallowed"]) == ([], [])
    status, _ = await ari.call("PUT", "/applications/nosuch/eventFilter", json_body={})
    assert status == 404
