"""The engine core without a loop or a socket: feed inputs, check the commands and records."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.core import EngineCore, random_ids
from acd.engine.model import AgentConfig, EngineConfig, LineConfig
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import (
    Activity,
    ContactEvent,
    ContactEventKind,
    ContactRecord,
    OfferResult,
    Outcome,
    Presence,
)
from foundation.errors import RefusedTransition, UnknownAgent

T0 = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
GENERAL = "1700 Andere Vragen"
HOUSING = "1700 Wonen en energie"


def make_config(**overrides) -> EngineConfig:
    lines = (
        LineConfig("1700", "1700", ("1700",), (GENERAL, HOUSING), GENERAL, ("sound:welcome",)),
        LineConfig("1701", "Onderwijs", ("1701",), ("Onderwijs",), "Onderwijs", ()),
    )
    agents = (
        AgentConfig("a1", "An", "PJSIP/1001", {GENERAL: 3}),
        AgentConfig("a2", "Bart", "PJSIP/1002", {GENERAL: 3, HOUSING: 3}),
        AgentConfig("a3", "Chris", "PJSIP/1003", {"Onderwijs": 3}),
    )
    defaults: dict[str, Any] = {
        "lines": lines,
        "agents": agents,
        "ring_timeout_s": 15,
        "wrap_up_s": 10.0,
    }
    return EngineConfig(**(defaults | overrides))


class Harness:
    def __init__(self, **overrides) -> None:
        counter = itertools.count(1)
        self.core = EngineCore(make_config(**overrides), ids=lambda p: f"{p}-{next(counter)}")
        self.now = T0
        self.events: list[ContactEvent] = []

    def feed(self, event: inp.Input, after_s: float = 0.0) -> list[cmd.Command]:
        self.now += timedelta(seconds=after_s)
        out = self.core.handle(event, self.now)
        self.events += [
            c.event for c in out if isinstance(c, cmd.Emit) and isinstance(c.event, ContactEvent)
        ]
        return out

    def answer(self, leg: str, after_s: float = 0.0) -> list[cmd.Command]:
        """The agent picks up, and ARI accepts the addChannel that follows (as its 204 makes
        the runtime say): what the engine does for both."""
        out = self.feed(inp.AgentLegAnswered(leg), after_s=after_s)
        add = only(out, cmd.AddToBridge)
        if add is not None:
            out += self.feed(inp.LegsBridged(add.bridge_id, add.channel_ids))
        return out

    def login(self, *agent_ids: str, gap_s: float = 1.0) -> None:
        for agent_id in agent_ids:
            self.feed(inp.AgentLogin(agent_id), after_s=gap_s)

    def arrive(self, channel: str = "c1", line: str = "1700", *extra: str) -> list[cmd.Command]:
        return self.feed(inp.CallArrived(channel, ("inbound", line, *extra), line, "0470123456"))

    def queue(self, channel: str = "c1", line: str = "1700") -> list[cmd.Command]:
        out = self.arrive(channel, line)
        play = only(out, cmd.Play)
        return self.feed(inp.PlaybackDone(play.playback_id)) if play else out

    def ended(self) -> list[ContactRecord]:
        return [e.contact for e in self.events if e.kind is ContactEventKind.ENDED]


def ari_state(up_in_app: set[str], live: frozenset[str] = frozenset()) -> inp.AriState:
    """What ARI lists after a reconnect: ``up_in_app`` in our app and up, ``live`` elsewhere."""
    channels = [inp.LiveChannel(c, "", True, legs.InboundCall(())) for c in sorted(up_in_app)]
    channels += [inp.LiveChannel(c, "", False, None) for c in sorted(live - up_in_app)]
    return inp.AriState(channels=tuple(channels))


def of(out: list[cmd.Command], kind: type) -> list[Any]:
    return [c for c in out if isinstance(c, kind)]


def only(out: list[cmd.Command], kind: type):
    found = of(out, kind)
    assert len(found) <= 1, found
    return found[0] if found else None


def test_call_is_answered_welcomed_queued_and_offered_to_longest_idle_skilled_agent():
    h = Harness()
    h.login("a2", "a1")  # a2 idle longest
    out = h.arrive()
    assert of(out, cmd.Answer) == [cmd.Answer("c1")]
    assert only(out, cmd.Play).media == ("sound:welcome",)
    out = h.feed(inp.PlaybackDone(only(out, cmd.Play).playback_id), after_s=3)
    assert only(out, cmd.StartMoh) == cmd.StartMoh("c1", "default")
    originate = only(out, cmd.Originate)
    assert originate.endpoint == "PJSIP/1002"
    assert originate.timeout_s == 15
    assert originate.originator == "c1"
    assert h.core.agents["a2"].activity is Activity.RESERVED


def test_answer_bridges_caller_and_agent_and_agent_hangup_ends_the_call_then_wrap_up():
    h = Harness()
    h.login("a1")
    leg = only(h.queue(), cmd.Originate).channel_id
    h.feed(inp.AgentLegRinging(leg))
    assert h.core.agents["a1"].activity is Activity.RINGING
    out = h.answer(leg, after_s=4)
    assert not of(out, cmd.CreateBridge)  # made while the phone rang
    bridge = only(out, cmd.AddToBridge).bridge_id
    assert only(out, cmd.AddToBridge) == cmd.AddToBridge(bridge, ("c1", leg))
    # mypy keeps the activity narrowed to RINGING across h.feed(), which changes it.
    assert h.core.agents["a1"].activity is Activity.ON_CALL  # type: ignore[comparison-overlap]

    out = h.feed(inp.ChannelGone(leg), after_s=60)  # the agent hangs up first
    assert cmd.Hangup("c1") in out
    assert not of(out, cmd.DestroyBridge)  # kept for another call (tests/engine/test_bridges.py)
    assert h.core.agents["a1"].activity is Activity.WRAP_UP
    timer = only(out, cmd.StartTimer)
    assert timer == cmd.StartTimer(TimerKey(TimerKind.WRAP_UP, "a1"), 10.0)
    (record,) = h.ended()
    assert record.outcome is Outcome.ANSWERED
    assert record.agent_id == "a1"
    assert record.wait_seconds == 4
    assert [o.result for o in record.offers] == [OfferResult.ANSWERED]

    assert h.feed(inp.ChannelGone("c1")) == []  # the caller's own StasisEnd: nothing more
    h.feed(inp.TimerFired(timer.key), after_s=10)
    assert h.core.agents["a1"].activity is Activity.IDLE


def test_ring_timeout_marks_agent_missed_and_offers_the_next_agent():
    h = Harness()
    h.login("a1", "a2")
    first = only(h.queue(), cmd.Originate)
    assert first.endpoint == "PJSIP/1001"
    out = h.feed(inp.ChannelGone(first.channel_id, cause=19), after_s=15)
    a1 = h.core.agents["a1"]
    assert (a1.presence, a1.reason) == (Presence.NOT_AVAILABLE, "missed")
    assert only(out, cmd.Originate).endpoint == "PJSIP/1002"
    assert [e.kind for e in h.events][-2:] == [
        ContactEventKind.OFFER_ENDED,
        ContactEventKind.OFFERED,
    ]
    assert h.events[-2].contact.offers[0].result is OfferResult.NO_ANSWER


@pytest.mark.parametrize(
    ("cause", "result"),
    [(17, OfferResult.BUSY), (19, OfferResult.NO_ANSWER), (18, OfferResult.UNREACHABLE)],
)
def test_failed_ring_results_follow_the_hangup_cause(cause, result):
    h = Harness()
    h.login("a1")
    leg = only(h.queue(), cmd.Originate).channel_id
    h.feed(inp.ChannelGone(leg, cause=cause))
    offer_ended = [e for e in h.events if e.kind is ContactEventKind.OFFER_ENDED]
    assert offer_ended[0].contact.offers[0].result is result


def test_originate_refused_counts_as_unreachable_and_moves_on():
    h = Harness()
    h.login("a1", "a2")
    leg = only(h.queue(), cmd.Originate).channel_id
    out = h.feed(inp.OriginateFailed(leg, "Allocation failed"))
    assert only(out, cmd.Originate).endpoint == "PJSIP/1002"


def test_caller_abandons_while_agent_rings_cancels_the_agent_leg():
    h = Harness()
    h.login("a1")
    leg = only(h.queue(), cmd.Originate).channel_id
    out = h.feed(inp.ChannelGone("c1"), after_s=5)
    assert cmd.Hangup(leg) in out
    a1 = h.core.agents["a1"]
    assert (a1.presence, a1.activity) == (Presence.AVAILABLE, Activity.IDLE)  # not missed
    (record,) = h.ended()
    assert record.outcome is Outcome.ABANDONED
    assert record.offers[0].result is OfferResult.CANCELLED
    # The agent picks up a moment too late: their leg is released.
    assert h.feed(inp.AgentLegAnswered(leg)) == [cmd.Hangup(leg)]


def test_caller_abandons_while_queued_without_agents():
    h = Harness()
    h.queue()
    h.feed(inp.ChannelGone("c1"), after_s=30)
    (record,) = h.ended()
    assert (record.outcome, record.wait_seconds, record.offers) == (Outcome.ABANDONED, 30, [])


def test_unknown_line_is_refused_politely_and_recorded():
    h = Harness()
    out = h.feed(inp.CallArrived("c9", ("inbound", "9999"), "9999", "0470"))
    assert of(out, cmd.Answer)
    assert only(out, cmd.Play).media == ("sound:ss-noservice",)
    out = h.feed(inp.PlaybackDone(only(out, cmd.Play).playback_id))
    assert out[-1] == cmd.Hangup("c9")
    h.feed(inp.ChannelGone("c9"))
    (record,) = h.ended()
    assert (record.outcome, record.line) == (Outcome.UNKNOWN_LINE, None)


def test_line_without_welcome_queues_at_once_and_args_may_name_the_line_code():
    h = Harness()
    h.login("a3")
    out = h.arrive("c2", "1701")
    assert only(out, cmd.Originate).endpoint == "PJSIP/1003"
    h2 = Harness()
    h2.login("a1", "a2")
    out = h2.arrive("c3", "1700", HOUSING)
    out = h2.feed(inp.PlaybackDone(only(out, cmd.Play).playback_id))
    assert only(out, cmd.Originate).endpoint == "PJSIP/1002"  # only a2 has housing


def test_first_come_first_served_when_an_agent_frees_up():
    h = Harness()
    h.queue("c1")
    h.now += timedelta(seconds=5)
    h.queue("c2")
    out = h.feed(inp.AgentLogin("a1"))
    assert only(out, cmd.Originate).originator == "c1"


def test_duplicate_stasis_start_is_ignored():
    h = Harness()
    h.arrive()
    assert h.arrive() == []


def test_lost_playback_event_is_covered_by_the_prompt_guard():
    h = Harness()
    h.arrive()
    out = h.feed(inp.TimerFired(TimerKey(TimerKind.PROMPT, "ct-1")), after_s=120)
    assert only(out, cmd.StartMoh) is not None


def test_ring_guard_hangs_up_a_leg_whose_timeout_event_was_lost():
    h = Harness()
    h.login("a1")
    leg = only(h.queue(), cmd.Originate).channel_id
    out = h.feed(inp.TimerFired(TimerKey(TimerKind.RING, leg)), after_s=20)
    assert cmd.Hangup(leg) in out
    assert h.core.agents["a1"].reason == "missed"


def test_resync_after_outage_ends_contacts_whose_caller_vanished_and_connects_answered_legs():
    h = Harness()
    h.login("a1")
    leg = only(h.queue("c1"), cmd.Originate).channel_id
    h.queue("c2")
    # During the outage: a1 answered c1's leg, c2 hung up.  Events lost.
    out = h.feed(ari_state({"c1", leg}))
    assert only(out, cmd.AddToBridge) == cmd.AddToBridge("br-ct-1", ("c1", leg))
    assert [r.channel_id for r in h.ended()] == ["c2"]


def test_presence_rules():
    h = Harness()
    with pytest.raises(UnknownAgent):
        h.feed(inp.AgentLogin("nobody"))
    with pytest.raises(RefusedTransition, match="log in first"):
        h.feed(inp.SetPresence("a1", Presence.NOT_AVAILABLE, "lunch"))
    h.login("a1")
    with pytest.raises(RefusedTransition, match="one of"):
        h.feed(inp.SetPresence("a1", Presence.NOT_AVAILABLE, "nap"))
    h.feed(inp.SetPresence("a1", Presence.NOT_AVAILABLE, "lunch"))
    assert h.core.agents["a1"].reason == "lunch"
    h.queue()
    out = h.feed(inp.SetPresence("a1", Presence.AVAILABLE))
    assert only(out, cmd.Originate) is not None  # available again: offered at once


def test_an_agent_answering_mid_announcement_cuts_it_and_wins():
    from ivr.announcements import AnnouncementConfig

    announcements = AnnouncementConfig(first_after_s=30, min_gap_s=0, not_when_next=False)
    line = LineConfig(
        "1700", "1700", ("1700",), (GENERAL,), GENERAL, (), announcements=announcements
    )
    h = Harness(lines=(line,))
    out = h.arrive("c1")  # no welcome: queued at once, announcements armed
    (tick,) = [c for c in of(out, cmd.StartTimer) if c.key.kind is TimerKind.ANNOUNCE]
    assert tick.delay_s == 30
    out = h.feed(inp.TimerFired(tick.key), after_s=30)
    assert of(out, cmd.StopMoh) == [cmd.StopMoh("c1")]  # music paused for the announcement
    announcement = only(out, cmd.Play)
    assert "sound:queue-youarenext" in announcement.media
    agent_leg = only(h.feed(inp.AgentLogin("a1")), cmd.Originate).channel_id
    out = h.answer(agent_leg, after_s=2)
    stop = out.index(cmd.StopPlayback(announcement.playback_id))
    bridge = out.index(next(c for c in out if isinstance(c, cmd.AddToBridge)))
    assert stop < bridge  # the agent connection always wins
    # The cut announcement's PlaybackFinished must not restart the music under the call.
    assert of(h.feed(inp.PlaybackDone(announcement.playback_id)), cmd.StartMoh) == []


def callback_line() -> LineConfig:
    from acd.engine.model import CallbackRule
    from ivr.callback_offer import CallbackOfferConfig

    return LineConfig(
        "1700",
        "1700",
        ("1700",),
        (GENERAL,),
        GENERAL,
        (),
        callbacks=CallbackRule(CallbackOfferConfig(), offer_after_s=150),
    )


def press(h: Harness, digit: str) -> list[cmd.Command]:
    return h.feed(inp.DtmfReceived("c1", digit), after_s=1)


def test_callback_offered_at_150_s_stored_before_the_confirmation_then_the_call_ends():
    h = Harness(lines=(callback_line(),))
    out = h.arrive("c1")
    (offer_timer,) = [
        c for c in of(out, cmd.StartTimer) if c.key.kind is TimerKind.CALLBACK_OFFER_DUE
    ]
    assert offer_timer.delay_s == 150  # not at 149 s
    out = h.feed(inp.TimerFired(offer_timer.key), after_s=150)
    assert of(out, cmd.StopMoh) == [cmd.StopMoh("c1")]
    assert only(out, cmd.Play).media == ("sound:acd-callback-offer",)
    press(h, "1")  # yes, call me back
    out = press(h, "1")  # on the number I call from
    (store,) = of(out, cmd.StoreCallback)
    assert (store.number, store.line, store.line_code) == ("+32470123456", "1700", GENERAL)
    assert not of(out, cmd.Play)  # nothing confirmed before it is stored
    assert not of(h.feed(inp.AgentLogin("a1")), cmd.Originate)  # no agent for a leaving caller
    out = h.feed(inp.CallbackStored(store.contact_id, "cb-1", merged=False))
    confirmation = only(out, cmd.Play)
    assert "sound:acd-callback-accepted" in confirmation.media
    out = h.feed(inp.PlaybackDone(confirmation.playback_id), after_s=4)
    assert cmd.Hangup("c1") in out
    h.feed(inp.ChannelGone("c1"))
    (record,) = h.ended()
    assert record.outcome is Outcome.CALLBACK_REQUESTED


def test_declining_the_callback_keeps_the_place_and_the_music():
    h = Harness(lines=(callback_line(),))
    h.arrive("c1")
    (contact,) = h.core.contacts.values()
    h.feed(inp.TimerFired(TimerKey(TimerKind.CALLBACK_OFFER_DUE, contact.id)), after_s=150)
    out = press(h, "5")  # no thanks
    assert of(out, cmd.StartMoh) == [cmd.StartMoh("c1", "default")]
    out = h.feed(inp.AgentLogin("a1"))
    assert only(out, cmd.Originate).originator == "c1"  # still queued, served as before


def test_a_failed_store_apologises_and_returns_the_caller_to_the_queue():
    h = Harness(lines=(callback_line(),))
    h.arrive("c1")
    (contact,) = h.core.contacts.values()
    h.feed(inp.TimerFired(TimerKey(TimerKind.CALLBACK_OFFER_DUE, contact.id)), after_s=150)
    press(h, "1")
    (store,) = of(press(h, "1"), cmd.StoreCallback)
    out = h.feed(inp.CallbackStoreFailed(store.contact_id, "database down"))
    sorry = only(out, cmd.Play)
    assert "sound:acd-callback-sorry" in sorry.media
    out = h.feed(inp.PlaybackDone(sorry.playback_id))
    assert of(out, cmd.StartMoh)
    assert contact.routed
    assert contact.record.queued_at == T0  # the wait clock was never reset


def test_accepting_a_callback_while_an_agent_rings_releases_that_agent():
    h = Harness(lines=(callback_line(),))
    h.arrive("c1")
    (contact,) = h.core.contacts.values()
    h.feed(inp.TimerFired(TimerKey(TimerKind.CALLBACK_OFFER_DUE, contact.id)), after_s=150)
    leg = only(h.feed(inp.AgentLogin("a1")), cmd.Originate).channel_id  # rings mid-offer
    press(h, "1")
    out = press(h, "1")
    assert of(out, cmd.StoreCallback)
    assert cmd.Hangup(leg) in out  # no agent rung for a caller who is leaving
    a1 = h.core.agents["a1"]
    assert (a1.presence, a1.activity) == (Presence.AVAILABLE, Activity.IDLE)  # not missed
    assert h.feed(inp.ChannelGone(leg, cause=17)) == []  # its late end changes nothing


def test_per_line_code_agent_tallies_equal_a_recount_through_a_shift():
    h = Harness()

    def recount(code: str) -> tuple[int, int]:
        agents = [a for a in h.core.agents.values() if code in a.config.line_codes]
        available = [a for a in agents if a.presence is Presence.AVAILABLE]
        return len(available), sum(a.activity is Activity.IDLE for a in available)

    def check() -> None:
        for code in (GENERAL, HOUSING, "Onderwijs"):
            assert (h.core.available_for(code), h.core.free_for(code)) == recount(code)

    h.login("a1", "a2", "a3")
    check()
    leg = only(h.queue("c1"), cmd.Originate).channel_id  # a ring: available, not free
    check()
    h.answer(leg, after_s=2)
    h.feed(inp.SetPresence("a2", Presence.NOT_AVAILABLE, "lunch"))
    check()
    h.feed(inp.ChannelGone("c1"), after_s=30)  # wrap-up
    check()
    h.feed(inp.TimerFired(TimerKey(TimerKind.WRAP_UP, "a1")), after_s=10)
    h.feed(inp.AgentLogout("a3"))
    check()


def test_engine_ids_are_the_prefix_and_12_random_hex_digits():
    ids = {random_ids("ct") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"ct-[0-9a-f]{12}", i) for i in ids)
