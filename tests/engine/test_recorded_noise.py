"""What a real Asterisk 22 sends an ACD besides call control changes nothing the engine does:
channel events delivered twice by an endpoint subscription, and every recorded flow's noise
moved onto a connected call."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from typing import Any

import pytest

from acd.ari.events import parse_event
from acd.engine.contacts import Phase
from acd.engine.model import EngineConfig
from foundation.contact import Activity, ContactEventKind, Outcome
from tests.engine.engine_replay import contact, recorded_setup, replaying, settle
from tests.engine.recorded import (
    TRACE_NAMES,
    Entry,
    callers,
    doubled,
    event,
    find,
    load,
    originated,
)

K = ContactEventKind


async def test_channel_events_delivered_twice_by_an_endpoint_subscription_do_nothing_twice():
    entries = load("subscriptions.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent1")
    twice = [e for e in entries if event("ChannelDestroyed", recorded_leg)(e)]
    assert len(twice) == 2  # the recording really doubled them
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    ari = replay.ari

    await replay.run()
    # The recorded teardown of the agent leg stands for the agent hanging up.
    assert ari.names() == [
        "answer",
        "create_bridge",
        "start_moh",
        "originate",
        "add_channel",
        "stop_moh",
        "hangup",
    ]  # fmt: skip: the bridge is kept for the next call
    assert ari.one("hangup").args[0] == caller
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert sink.activities("agent1") == [
        Activity.RESERVED,
        Activity.RINGING,
        Activity.ON_CALL,
        Activity.WRAP_UP,
    ]
    assert not replay.runtime.core.contacts


FLOWS: dict[str, tuple[EngineConfig, str]] = {
    "bridge.jsonl": (recorded_setup(), "agent1"),
    "bridge_agent_hangup.jsonl": (recorded_setup(), "agent2"),
    "queue_abandon.jsonl": (
        recorded_setup(
            welcome={"1701": ("sound:queue-thankyou", "sound:queue-youarenext")},
            ring_timeout_s=30,
        ),
        "agent3",
    ),
    "subscriptions.jsonl": (recorded_setup(), "agent1"),
}


@pytest.mark.parametrize("stasis_too", [False, True], ids=["as-recorded", "stasis-too"])
@pytest.mark.parametrize("name", sorted(FLOWS))
async def test_every_channel_event_twice_changes_nothing_the_engine_does(name, stasis_too):
    # "stasis-too" is stricter than the recordings; it caught the runtime taking a caller's
    # repeated StasisStart for an agent leg answering, and hanging the caller up.
    async def outcome(entries: list[Entry]) -> tuple[list[tuple[str, tuple[Any, ...]]], Any]:
        config, agent = FLOWS[name]
        replay, sink = await replaying(entries, config, agent)
        await replay.run()
        await asyncio.sleep(60)
        calls = [(c.name, c.args) for c in replay.ari.made]
        contacts = [(e.kind, e.contact.outcome) for e in sink.contacts]
        agents = [(e.agent_id, e.presence, e.activity, e.reason) for e in sink.agents]
        return calls, (contacts, agents)

    entries = load(name)
    once = await outcome(entries)
    assert once == await outcome(doubled(entries, stasis_too=stasis_too))


async def test_the_noise_of_every_recorded_flow_changes_nothing_in_a_connected_call():
    # Every event of every trace that carries no call control, moved onto a live bridged call.
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    await replay.run(find(entries, event("ChannelHangupRequest", caller)))
    leg = replay.ari.one("originate").kwargs["channel_id"]
    bridge = replay.ari.one("create_bridge").args[0]
    calls, emitted = len(replay.ari.made), (len(sink.contacts), len(sink.agents))

    noise = {
        "ChannelVarset",
        "ChannelConnectedLine",
        "ChannelStateChange",
        "ChannelEnteredBridge",
        "ChannelDialplan",
        "ChannelCreated",
        "EndpointStateChange",
        "PlaybackStarted",
        "PlaybackContinuing",
        "RecordingStarted",
        "RecordingFinished",
    }
    fed = 0
    for name in TRACE_NAMES:
        for entry in load(name):
            if entry["dir"] == "event" and entry["event"]["type"] in noise:
                replay.runtime.on_event(parse_event(_aimed_at(entry["event"], caller, leg, bridge)))
                fed += 1
    await settle()
    assert fed > 300
    assert len(replay.ari.made) == calls
    assert (len(sink.contacts), len(sink.agents)) == emitted
    assert contact(replay).phase is Phase.CONNECTED

    await replay.run()  # and the call still ends as it should
    assert replay.ari.names()[-1] == "hangup"
    assert "destroy_bridge" not in replay.ari.names()  # kept for the next call
    assert sink.last().outcome is Outcome.ANSWERED


def _aimed_at(raw: Mapping[str, Any], caller: str, leg: str, bridge: str) -> dict[str, Any]:
    """A recorded event moved onto the live call: dialplan channels (``<epoch>.<seq>``) become
    the caller, the others (``ag-``, ``snoop-``, ``Local/``...) the agent leg."""
    out = copy.deepcopy(dict(raw))
    if "channel" in out:
        out["channel"]["id"] = caller if out["channel"]["id"][:1].isdigit() else leg
    if "bridge" in out:
        out["bridge"]["id"] = bridge
    return out
