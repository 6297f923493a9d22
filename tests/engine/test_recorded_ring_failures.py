"""An agent's phone that does not answer, as a real Asterisk 22 recorded it
(``originate_failures.jsonl`` spliced after a recorded caller): busy, ringing until the
timeout, unreachable, not even allocated; the offer ends as such and the next agent rings."""

from __future__ import annotations

import asyncio

import pytest

from acd.engine.contacts import Phase
from foundation.contact import Activity, ContactEventKind, Offer, OfferResult, Presence
from tests.engine.engine_replay import (
    Replay,
    Sink,
    contact,
    recorded_setup,
    replaying,
    settle,
)
from tests.engine.recorded import caller_arrives, originate_attempt, request_query, splice

K = ContactEventKind


async def _failed_ring(endpoint: str, agent: str, ring_timeout_s: int) -> tuple[Replay, Sink]:
    """A real caller (bridge.jsonl) queued with two agents free: ``agent`` first, whose phone
    does what the recording's originate to ``endpoint`` did, then agent1."""
    entries = splice(caller_arrives(), originate_attempt(endpoint))
    config = recorded_setup(ring_timeout_s=ring_timeout_s, agents={agent: endpoint})
    replay, sink = await replaying(entries, config, agent, "agent1")
    await replay.run()
    await settle()
    return replay, sink


def _assert_missed_and_passed_on(replay: Replay, sink: Sink, agent: str, endpoint: str) -> None:
    assert [c.args[0] for c in replay.ari.made if c.name == "originate"] == [
        endpoint,
        "PJSIP/agent1",
    ]
    state = replay.runtime.core.agents[agent]
    assert (state.presence, state.reason, state.activity) == (
        Presence.NOT_AVAILABLE,
        "missed",
        Activity.IDLE,
    )
    assert sink.kinds()[-3:] == [K.OFFERED, K.OFFER_ENDED, K.OFFERED]
    assert contact(replay).phase is Phase.RINGING  # now ringing agent1


def _first_leg(replay: Replay) -> str:
    return str(next(c.kwargs["channel_id"] for c in replay.ari.made if c.name == "originate"))


def _rang_s(offer: Offer) -> float:
    assert offer.ended_at is not None
    return (offer.ended_at - offer.offered_at).total_seconds()


def _hung_up(replay: Replay) -> list[str]:
    return [c.args[0] for c in replay.ari.made if c.name == "hangup"]


async def test_busy_486_ends_the_offer_as_busy_and_rings_the_next_agent():
    replay, sink = await _failed_ring("PJSIP/agent4", "agent4", ring_timeout_s=10)
    _assert_missed_and_passed_on(replay, sink, "agent4", "PJSIP/agent4")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.agent_id, offer.result, offer.cause) == ("agent4", OfferResult.BUSY, 17)
    assert sink.activities("agent4") == [Activity.RESERVED, Activity.RINGING, Activity.IDLE]
    await asyncio.sleep(30)  # past the ring guard of the busy leg: cancelled, no hang-up
    assert _first_leg(replay) not in _hung_up(replay)


async def test_ring_timeout_ends_the_offer_as_no_answer_at_the_timeout():
    replay, sink = await _failed_ring("PJSIP/agent3", "agent3", ring_timeout_s=5)
    first = next(c for c in replay.ari.made if c.name == "originate")
    # The recorded originate had timeout=5: ChannelDestroyed 19 came exactly then, alone.
    assert first.kwargs["timeout_s"] == int(
        request_query(replay.entries[first.request or 0])["timeout"]
    )
    _assert_missed_and_passed_on(replay, sink, "agent3", "PJSIP/agent3")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.NO_ANSWER, 19)
    assert _rang_s(offer) == pytest.approx(5, abs=0.05)
    await asyncio.sleep(30)
    assert _first_leg(replay) not in _hung_up(replay)  # Asterisk ended the leg itself


async def test_an_unreachable_phone_ends_the_offer_as_unreachable_after_sip_timer_b():
    replay, sink = await _failed_ring("PJSIP/unreach", "unreach", ring_timeout_s=45)
    _assert_missed_and_passed_on(replay, sink, "unreach", "PJSIP/unreach")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.UNREACHABLE, 18)
    assert _rang_s(offer) == pytest.approx(32, abs=0.05)
    # No Dial RINGING ever came: reserved, never ringing; and the ring guard (50 s) kept still.
    assert sink.activities("unreach") == [Activity.RESERVED, Activity.IDLE]
    assert _first_leg(replay) not in _hung_up(replay)


async def test_an_endpoint_asterisk_cannot_allocate_is_unreachable_and_passed_on():
    replay, sink = await _failed_ring("PJSIP/nosuch", "nosuch", ring_timeout_s=5)
    _assert_missed_and_passed_on(replay, sink, "nosuch", "PJSIP/nosuch")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.UNREACHABLE, None)


async def test_a_local_channel_agent_that_is_busy_ends_the_offer_as_busy():
    # Local/...: only Dial says BUSY; the ;1 half is destroyed with cause 0 "Unknown".
    replay, sink = await _failed_ring("Local/busy@agents", "agent4", ring_timeout_s=5)
    _assert_missed_and_passed_on(replay, sink, "agent4", "Local/busy@agents")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.BUSY, 17)
