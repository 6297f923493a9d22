"""Registering a contact (the seed's wrap-up) in the core: the maximum wrap-up per line code,
"close contact" ending it at once so the next call comes, closing while talking, refusals,
and the agent's contact and figures as the desk reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.desk import agent_contact, agent_today
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import Activity, ContactEventKind, Presence, Registration
from foundation.errors import RefusedTransition
from tests.engine.test_core import GENERAL, HOUSING, Harness, of, only

REASONS = {GENERAL: ("Informatie gegeven", "Klacht"), HOUSING: ("Energielening",)}
LINK = "https://www.vlaanderen.be/bouwen-wonen-en-energie"


def harness(**overrides) -> Harness:
    return Harness(contact_reasons=REASONS, line_code_wrap_up_s={GENERAL: 45.0}, **overrides)


def talking(h: Harness, channel: str = "c1") -> str:
    """Agent a1 logged in and talking to the caller on ``channel``; returns the agent leg."""
    leg: str = only(h.queue(channel), cmd.Originate).channel_id
    h.answer(leg, after_s=4)
    return leg


def test_wrap_up_lasts_the_line_codes_maximum_and_closing_ends_it_so_the_next_call_rings():
    h = harness()
    h.login("a1")
    leg = talking(h)
    out = h.feed(inp.ChannelGone(leg), after_s=60)
    assert only(out, cmd.StartTimer) == cmd.StartTimer(TimerKey(TimerKind.WRAP_UP, "a1"), 45.0)
    h.queue("c2")  # a second caller waits while a1 wraps up
    assert h.core.agents["a1"].activity is Activity.WRAP_UP
    seen = agent_contact(h.core, h.core.agents["a1"], h.now)
    assert seen is not None
    assert (seen["state"], seen["contact_id"], seen["line_code"]) == ("wrap_up", "ct-1", GENERAL)
    assert seen["contact_reasons"] == ["Informatie gegeven", "Klacht"]
    assert seen["waited_s"] == 4.0

    out = h.feed(
        inp.CloseContact("a1", "Vraag over premie", "Informatie gegeven", (LINK,)), after_s=5
    )
    assert cmd.CancelTimer(TimerKey(TimerKind.WRAP_UP, "a1")) in out
    # At once: the waiting caller is offered to a1 in the same step.
    assert only(out, cmd.Originate).endpoint == "PJSIP/1001"
    registered = [e for e in h.events if e.kind is ContactEventKind.REGISTERED]
    assert len(registered) == 1
    record = registered[0].contact
    assert record.ended_at is not None  # the ended record, so the store takes it
    assert record.registration == Registration(
        "a1", "Vraag over premie", "Informatie gegeven", (LINK,), h.now
    )


def test_closing_while_talking_registers_now_and_the_calls_end_skips_the_wrap_up():
    h = harness()
    h.login("a1")
    leg = talking(h)
    h.feed(inp.CloseContact("a1", "Adres gevraagd", "Klacht", ()), after_s=30)
    assert h.core.agents["a1"].activity is Activity.ON_CALL  # still talking
    seen = agent_contact(h.core, h.core.agents["a1"], h.now)
    assert seen is not None
    assert (seen["state"], seen["closed"]) == ("talking", True)
    out = h.feed(inp.ChannelGone(leg), after_s=10)
    assert not of(out, cmd.StartTimer)
    # mypy keeps the activity narrowed to ON_CALL across h.feed(), which changes it.
    assert h.core.agents["a1"].activity is Activity.IDLE  # type: ignore[comparison-overlap]
    (ended,) = h.ended()
    assert ended.registration is not None
    assert ended.registration.reason == "Klacht"


def test_a_line_code_without_its_own_maximum_takes_the_engines():
    h = harness()
    h.login("a2")  # a2 also takes housing
    out = h.arrive("c1", "1700", HOUSING)
    out = h.feed(inp.PlaybackDone(only(out, cmd.Play).playback_id))
    leg = only(out, cmd.Originate).channel_id
    h.answer(leg, after_s=1)
    out = h.feed(inp.ChannelGone(leg), after_s=30)
    assert only(out, cmd.StartTimer) == cmd.StartTimer(TimerKey(TimerKind.WRAP_UP, "a2"), 10.0)
    seen = agent_contact(h.core, h.core.agents["a2"], h.now)
    assert seen is not None
    assert seen["contact_reasons"] == ["Energielening"]


def test_nothing_to_close_and_an_unknown_reason_are_refused_and_change_nothing():
    h = harness()
    h.login("a1")
    with pytest.raises(RefusedTransition) as nothing:
        h.feed(inp.CloseContact("a1", "", "Klacht", ()))
    assert nothing.value.error_id == "nothing_to_close"
    talking(h)
    events = len(h.events)
    with pytest.raises(RefusedTransition) as unknown:
        h.feed(inp.CloseContact("a1", "", "Energielening", ()))  # housing's, not general's
    assert unknown.value.error_id == "unknown_reason"
    assert "Informatie gegeven, Klacht" in str(unknown.value)
    assert len(h.events) == events
    assert h.core.agents["a1"].closed_contact_id is None


def test_without_a_close_the_wrap_up_ends_at_its_maximum():
    h = harness()
    h.login("a1")
    leg = talking(h)
    timer = only(h.feed(inp.ChannelGone(leg), after_s=20), cmd.StartTimer)
    h.feed(inp.TimerFired(timer.key), after_s=45)
    assert h.core.agents["a1"].activity is Activity.IDLE
    assert agent_contact(h.core, h.core.agents["a1"], h.now) is None
    today = agent_today(h.core.agents["a1"], h.now)
    assert today["contacts"] == 1
    assert today["wrap_up_s"] == 45.0
    assert today["talk_time_s"] == 20.0
    assert today["average_handling_time_s"] == 65.0


def test_today_counts_seconds_per_presence_and_reason():
    h = harness()
    h.login("a1")  # available from T0 + 1 s
    h.feed(inp.SetPresence("a1", Presence.NOT_AVAILABLE, "lunch"), after_s=600)
    h.feed(inp.SetPresence("a1", Presence.AVAILABLE), after_s=1800)
    h.now += timedelta(seconds=60)
    seconds = agent_today(h.core.agents["a1"], h.now)["presence_seconds"]
    assert seconds == {"available": 660.0, "not_available:lunch": 1800.0}


def test_the_offer_shows_as_ringing_with_the_callers_wait():
    h = harness()
    h.login("a1")
    h.queue()
    h.now += timedelta(seconds=3)
    seen = agent_contact(h.core, h.core.agents["a1"], h.now)
    assert seen is not None
    assert (seen["state"], seen["caller_number"], seen["line"]) == ("ringing", "0470123456", "1700")
    assert seen["callback"] is None
    assert seen["virtual_hold"] is False
