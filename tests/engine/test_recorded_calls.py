"""Calls through the engine as a real Asterisk 22 recorded them (tests/data/ari-traces, replayed
by :mod:`tests.engine.engine_replay`): welcomed and queued, bridged with an agent, ended by
either side, abandoned while the agent rings."""

from __future__ import annotations

import asyncio

from acd.engine.contacts import Phase
from foundation.contact import Activity, ContactEventKind, OfferResult, Outcome, Presence
from tests.engine.engine_replay import contact, recorded_setup, replaying
from tests.engine.recorded import callers, event, find, load, originated, request_query, response

K = ContactEventKind


async def test_inbound_call_is_answered_and_welcomed_through_the_recorded_playback_events():
    entries = load("playback.jsonl")
    (caller,) = callers(entries)
    config = recorded_setup(welcome={"1700": ("sound:hello-world",)})
    replay, sink = await replaying(entries, config)
    ari = replay.ari

    assert entries[find(entries, event("StasisStart"))]["event"]["channel"]["state"] == "Ring"
    await replay.run(find(entries, event("PlaybackFinished")))
    answer, play = ari.made
    assert (answer.name, answer.args) == ("answer", (caller,))
    assert (play.name, play.args[:2], play.args[3]) == (
        "play",
        (caller, ["sound:hello-world"]),
        "en",
    )
    recorded_pb = entries[find(entries, event("PlaybackStarted"))]["event"]["playback"]["id"]
    assert replay.ids[recorded_pb] == play.args[2]
    # The ChannelStateChange Up came before the answer's 204; the prompt waited for the 204.
    answered = find(entries, response("POST", f"/ari/channels/{caller}/answer"))
    assert entries[answered - 1]["event"]["type"] == "ChannelStateChange"
    assert play.at > answered
    assert contact(replay).phase is Phase.WELCOME  # PlaybackStarted did not end the prompt

    await replay.run(find(entries, event("ChannelHangupRequest")))
    assert ari.names() == ["answer", "play", "start_moh"]
    assert ari.made[-1].args == (caller, "default")
    assert contact(replay).phase is Phase.QUEUED

    await replay.run()  # the caller goes (here: the recording's client hung it up)
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.ENDED]
    assert sink.last().outcome is Outcome.ABANDONED
    assert ari.names() == ["answer", "play", "start_moh"]
    await asyncio.sleep(200)  # past the prompt guard: nothing left to fire
    assert ari.names() == ["answer", "play", "start_moh"]


async def test_an_answering_agent_is_bridged_and_the_caller_hanging_up_first_ends_it_all():
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent1")
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    ari = replay.ari

    await replay.run(find(entries, event("StasisStart", recorded_leg)))
    originate = ari.one("originate")
    leg = originate.kwargs["channel_id"]
    assert replay.ids[recorded_leg] == leg
    recorded = request_query(entries[originate.request or 0])
    assert originate.args == (recorded["endpoint"],)
    assert originate.kwargs["originator"] == recorded["originator"] == caller
    assert originate.kwargs["timeout_s"] == int(recorded["timeout"])
    assert sink.activities("agent1") == [Activity.RESERVED, Activity.RINGING]  # Dial RINGING

    await replay.run(find(entries, event("ChannelHangupRequest", caller)))
    bridge = ari.one("create_bridge").args[0]
    # The bridge is made while the agent rings; on the answer, one addChannel with both
    # channels, and the music stops only once the caller is in the bridge.
    assert ari.names() == [
        "answer", "create_bridge", "start_moh", "originate", "add_channel", "stop_moh"
    ]  # fmt: skip
    assert ari.one("add_channel").args == (bridge, [caller, leg])
    assert contact(replay).phase is Phase.CONNECTED
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED]
    assert sink.activities("agent1")[-1] is Activity.ON_CALL

    await replay.run()
    # ChannelHangupRequest without a cause, ChannelLeftBridge, StasisEnd: the engine hangs the
    # agent up, once, whatever the agent leg's own events say after; the bridge, empty once
    # the agent's leg is gone, is kept for the next call.
    assert ari.names()[6:] == ["hangup"]
    assert ari.one("hangup").args[0] == leg
    assert replay.runtime.core.kept_bridges == (bridge,)
    assert sink.kinds()[-1] is K.ENDED
    record = sink.last()
    assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "agent1")
    assert [o.result for o in record.offers] == [OfferResult.ANSWERED]
    assert sink.activities("agent1")[-1] is Activity.WRAP_UP
    await asyncio.sleep(10)
    assert sink.activities("agent1")[-1] is Activity.IDLE
    assert len(ari.made) == 7  # the eighth, destroying the bridge, saved: it is kept
    # All 70-odd events went in, the noise among them (ChannelVarset, ChannelConnectedLine, the
    # bridge going native_rtp and back): none of it added a request.
    fed = sum(e["dir"] == "event" for e in entries)
    assert replay.runtime.events_handled == replay.events_fed == fed


async def test_the_agent_hanging_up_first_makes_the_engine_hang_up_the_caller():
    entries = load("bridge_agent_hangup.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent2")
    replay, sink = await replaying(entries, recorded_setup(), "agent2")
    ari = replay.ari

    await replay.run(find(entries, event("ChannelHangupRequest", recorded_leg)))
    assert contact(replay).phase is Phase.CONNECTED
    leg = ari.one("originate").kwargs["channel_id"]
    bridge = ari.one("create_bridge").args[0]

    await replay.run(find(entries, event("StasisEnd", recorded_leg)) + 1)
    # Asterisk leaves the caller alone in the bridge, Up: the engine must end it.
    assert ari.names()[-1] == "hangup"
    assert "destroy_bridge" not in ari.names()  # kept for the next call
    assert ari.one("hangup").args[0] == caller
    assert sink.last().outcome is Outcome.ANSWERED
    assert sink.activities("agent2")[-1] is Activity.WRAP_UP

    await replay.run()  # the leg's ChannelDestroyed 16, the caller's own teardown events
    assert ari.names()[6:] == ["hangup"]
    assert replay.runtime.core.kept_bridges == (bridge,)  # empty now: kept for the next call
    assert leg not in set(replay.runtime.core.tracked_channels())
    assert sink.kinds().count(K.ENDED) == 1


async def test_a_caller_abandoning_while_the_agent_rings_cancels_the_agent_leg():
    entries = load("queue_abandon.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent3")
    prompt = ("sound:queue-thankyou", "sound:queue-youarenext")
    config = recorded_setup(welcome={"1701": prompt}, ring_timeout_s=30)
    replay, sink = await replaying(entries, config, "agent3")
    ari = replay.ari

    # Two-file prompt: PlaybackStarted, PlaybackContinuing, PlaybackStarted: still the prompt.
    await replay.run(find(entries, event("PlaybackFinished")))
    assert ari.names() == ["answer", "play"]
    assert ari.one("play").args[1] == list(prompt)
    assert contact(replay).phase is Phase.WELCOME

    await replay.run(find(entries, event("ChannelHangupRequest", caller)))
    leg = ari.one("originate").kwargs["channel_id"]
    assert replay.ids[recorded_leg] == leg
    assert ari.one("originate").kwargs["timeout_s"] == 30
    assert contact(replay).phase is Phase.RINGING
    assert sink.activities("agent3") == [Activity.RESERVED, Activity.RINGING]
    # The recording's bridge announcement failed at once (PlaybackFinished "failed"): not ours.
    assert ari.names() == ["answer", "play", "start_moh", "originate", "create_bridge"]

    await replay.run()
    assert ari.names()[5:] == ["hangup"]  # the unused bridge is kept for the next call
    assert replay.runtime.core.kept_bridges == (ari.one("create_bridge").args[0],)
    assert ari.one("hangup").args[0] == leg
    record = sink.last()
    assert (record.outcome, record.offers[0].result) == (Outcome.ABANDONED, OfferResult.CANCELLED)
    agent = replay.runtime.core.agents["agent3"]
    assert (agent.presence, agent.activity) == (Presence.AVAILABLE, Activity.IDLE)  # not missed
    # The cancelled leg's ChannelHangupRequest 32, Dial NOANSWER, ChannelDestroyed 16: nothing.
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ENDED]
    await asyncio.sleep(60)
    assert ari.names()[5:] == ["hangup"]


async def test_a_caller_hanging_up_as_the_agent_answers_is_an_abandon_and_the_agent_is_freed():
    # Recorded: the agent's StasisStart, then the caller's hang-up (ChannelHangupRequest,
    # StasisEnd) while the addChannel of both is on its way, which answers 400 "Channel not
    # found".  The caller never heard the agent: not an answered call.
    entries = load("caller_gone_on_answer.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent1")
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    ari = replay.ari

    await replay.run(find(entries, event("StasisStart", recorded_leg)) + 1)
    leg = ari.one("originate").kwargs["channel_id"]
    assert ari.one("add_channel").args[1] == [caller, leg]
    # Answered by the agent, not yet bridged: nothing counted, the agent not on call yet.
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED]
    assert contact(replay).phase is Phase.RINGING
    assert sink.activities("agent1")[-1] is Activity.RINGING

    await replay.run(find(entries, response("POST", "/ari/bridges/br-race/addChannel")) + 1)
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ENDED]
    record = sink.last()
    assert (record.outcome, record.answered_at) == (Outcome.ABANDONED, None)
    assert [o.result for o in record.offers] == [OfferResult.CANCELLED]
    assert ari.one("hangup").args[0] == leg  # the agent's phone is hung up
    agent = replay.runtime.core.agents["agent1"]
    assert (agent.activity, agent.contacts_today) == (Activity.IDLE, 0)  # no wrap-up, no count
    assert Activity.ON_CALL not in sink.activities("agent1")

    await replay.run()  # the agent leg's own teardown events: nothing more
    assert sink.kinds().count(K.ENDED) == 1
    await asyncio.sleep(30)
    assert agent.activity is Activity.IDLE
