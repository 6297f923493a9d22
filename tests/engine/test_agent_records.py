"""Agent records: every durable change of an agent is emitted, and an engine restored from the
records gets its agents back (presence, reason, idle order, today's counters)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.model import AgentConfig
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import Activity, AgentEvent, AgentRecord, Presence
from tests.engine.test_core import GENERAL, T0, Harness, only

AGENTS = (
    AgentConfig("a1", "An", "PJSIP/1001", {GENERAL: 3}),
    AgentConfig("a2", "Bart", "PJSIP/1002", {GENERAL: 3}),
    AgentConfig("a4", "Dirk", "PJSIP/1004", {GENERAL: 3}),
)
LUNCH = inp.SetPresence("a4", Presence.NOT_AVAILABLE, "lunch")


class Recorded(Harness):
    """The core harness, keeping every agent event, as the store would see them."""

    def __init__(self, **overrides) -> None:
        super().__init__(**({"agents": AGENTS} | overrides))
        self.agent_events: list[AgentEvent] = []

    def feed(self, event: inp.Input, after_s: float = 0.0) -> list[cmd.Command]:
        out = super().feed(event, after_s)
        self.keep(out)
        return out

    def keep(self, out: list[cmd.Command]) -> None:
        self.agent_events += [
            c.event for c in out if isinstance(c, cmd.Emit) and isinstance(c.event, AgentEvent)
        ]

    def stored(self) -> dict[str, AgentRecord]:
        """What the store holds now: the newest record of each agent."""
        return {e.agent_id: e.record for e in self.agent_events}

    def restarted(self, after_s: float) -> Recorded:
        """A new engine, ``after_s`` later, restored from what this one stored."""
        other = Recorded(agents=self.core.config.agents)
        other.now = self.now + timedelta(seconds=after_s)
        other.keep(other.core.restore_agents(self.stored().values(), other.now))
        return other


def unstamped(record: AgentRecord) -> AgentRecord:
    return dataclasses.replace(record, at=T0)


def test_every_change_of_an_agent_reaches_the_store_the_moment_it_happens():
    h = Recorded()

    def stored_is_current() -> None:
        for agent_id, record in h.stored().items():
            assert unstamped(record) == unstamped(h.core.agents[agent_id].record(h.now))

    h.keep(h.core.initial_events(h.now))
    steps: list[tuple[inp.Input, float]] = [
        (inp.AgentLogin("a1"), 1),
        (inp.AgentLogin("a2"), 1),
        (inp.AgentLogin("a4"), 1),
        (LUNCH, 5),
    ]
    for step, after_s in steps:
        h.feed(step, after_s)
        stored_is_current()
    first = only(h.queue("c1"), cmd.Originate)  # to a1, the longest idle
    stored_is_current()
    second = only(h.feed(inp.ChannelGone(first.channel_id, cause=19), after_s=15), cmd.Originate)
    assert h.stored()["a1"].missed_in_a_row == 1
    stored_is_current()
    h.answer(second.channel_id, after_s=3)
    assert h.stored()["a2"].contacts_today == 1
    stored_is_current()
    h.feed(inp.ChannelGone("c1"), after_s=60)  # the caller hangs up: a2 wraps up
    assert h.stored()["a2"].talk_time_today_s == 60
    stored_is_current()
    later: list[tuple[inp.Input, float]] = [
        (inp.TimerFired(TimerKey(TimerKind.WRAP_UP, "a2")), 10.0),
        (inp.SetPresence("a4", Presence.AVAILABLE, None), 1.0),
        (inp.AgentLogout("a1"), 1.0),
    ]
    for step, after_s in later:
        h.feed(step, after_s)
        stored_is_current()
    assert h.agent_events[-1].record.presence is Presence.LOGGED_OUT


def test_presence_since_moves_with_presence_or_reason_and_not_with_calls():
    h = Recorded()
    h.feed(inp.AgentLogin("a4"), after_s=1)
    logged_in = h.now
    leg = only(h.queue("c1"), cmd.Originate).channel_id
    h.answer(leg, after_s=2)
    h.feed(inp.ChannelGone("c1"), after_s=30)
    assert h.core.agents["a4"].presence_since == logged_in
    h.feed(LUNCH, after_s=5)
    lunch = h.now
    h.feed(inp.SetPresence("a4", Presence.NOT_AVAILABLE, "break"), after_s=60)
    assert h.core.agents["a4"].presence_since == lunch + timedelta(seconds=60)
    assert h.stored()["a4"].presence_since == h.now


def shift_then_restart() -> tuple[Recorded, Recorded]:
    """a1, a2 and a4 log in in that order; a4 goes to lunch; a1 takes a call and wraps up, so
    a2 is idle longest.  Then the engine restarts."""
    h = Recorded()
    h.login("a1", "a2", "a4")
    h.feed(LUNCH, after_s=5)
    originate = only(h.queue("c1"), cmd.Originate)
    assert originate.endpoint == "PJSIP/1001"
    h.answer(originate.channel_id, after_s=2)
    h.feed(inp.ChannelGone("c1"), after_s=90)
    h.feed(inp.TimerFired(TimerKey(TimerKind.WRAP_UP, "a1")), after_s=10)
    return h, h.restarted(after_s=30)


def test_a_restarted_engine_has_its_agents_back_and_offers_the_longest_idle_first():
    before, after = shift_then_restart()
    for agent_id in ("a1", "a2", "a4"):
        old, new = before.core.agents[agent_id], after.core.agents[agent_id]
        assert (new.presence, new.reason, new.activity) == (old.presence, old.reason, old.activity)
        assert (new.presence_since, new.idle_since) == (old.presence_since, old.idle_since)
    a1 = after.core.agents["a1"]
    assert (a1.contacts_today, a1.talk_time_today_s) == (1, 90)
    assert after.core.agents["a4"].reason == "lunch"
    assert after.core.free_for(GENERAL) == 2

    originate = only(after.queue("c2"), cmd.Originate)
    assert originate.endpoint == "PJSIP/1002"  # a2: idle since its log-in, before a1's call


def test_the_restored_agents_are_announced_and_their_gauges_start_from_them():
    _, after = shift_then_restart()
    restored = {e.agent_id: e for e in after.agent_events}
    assert restored["a4"].record.reason == "lunch"
    assert restored["a4"].previous_presence is Presence.LOGGED_OUT
    announced = {
        c.event.agent_id: (c.event.presence, c.event.reason)
        for c in after.core.initial_events(after.now)
        if isinstance(c, cmd.Emit) and isinstance(c.event, AgentEvent)
    }
    assert announced == {
        "a1": (Presence.AVAILABLE, None),
        "a2": (Presence.AVAILABLE, None),
        "a4": (Presence.NOT_AVAILABLE, "lunch"),
    }


def test_a_wrap_up_cut_by_the_restart_is_over():
    h = Recorded()
    h.login("a1")
    leg = only(h.queue("c1"), cmd.Originate).channel_id
    h.answer(leg, after_s=2)
    h.feed(inp.ChannelGone("c1"), after_s=30)
    assert h.core.agents["a1"].activity is Activity.WRAP_UP
    after = h.restarted(after_s=5)
    assert after.core.agents["a1"].activity is Activity.IDLE
    assert only(after.queue("c2"), cmd.Originate).endpoint == "PJSIP/1001"


def record(agent_id: str = "a1", **fields) -> AgentRecord:
    base = AgentRecord(
        agent_id=agent_id,
        presence=Presence.AVAILABLE,
        reason=None,
        presence_since=T0,
        idle_since=T0,
        stats_day=date(2027, 3, 30),
        contacts_today=7,
        talk_time_today_s=1200.0,
        missed_in_a_row=1,
        at=T0,
    )
    return dataclasses.replace(base, **fields)


@pytest.mark.parametrize(
    ("now", "stats_day", "kept"),
    [
        # 23:30 UTC is 00:30 the next day in Brussels: the UTC date is not "today".
        (datetime(2027, 3, 26, 23, 30, tzinfo=UTC), date(2027, 3, 26), False),
        (datetime(2027, 3, 26, 23, 30, tzinfo=UTC), date(2027, 3, 27), True),
        # The night summer time starts (28 March): 22:30 UTC is already the 29th (CEST).
        (datetime(2027, 3, 28, 21, 30, tzinfo=UTC), date(2027, 3, 28), True),
        (datetime(2027, 3, 28, 22, 30, tzinfo=UTC), date(2027, 3, 28), False),
        # The night it ends (31 October): 22:30 UTC is still the 31st (CET), 23:30 is not.
        (datetime(2027, 10, 31, 22, 30, tzinfo=UTC), date(2027, 10, 31), True),
        (datetime(2027, 10, 31, 23, 30, tzinfo=UTC), date(2027, 10, 31), False),
        (datetime(2027, 3, 30, 9, 0, tzinfo=UTC), None, False),  # never counted
    ],
)
def test_only_counters_of_today_in_brussels_are_restored(
    now: datetime, stats_day: date | None, kept: bool
):
    h = Recorded()
    h.core.restore_agents([record(stats_day=stats_day, idle_since=now)], now)
    a1 = h.core.agents["a1"]
    counted = (a1.contacts_today, a1.talk_time_today_s)
    assert counted == ((7, 1200.0) if kept else (0, 0.0))
    assert a1.missed_in_a_row == 1  # missed offers in a row run on over midnight


def test_a_restored_logged_out_agent_keeps_todays_contacts_for_the_fewest_contacts_policy():
    h = Recorded()
    h.core.restore_agents([record(presence=Presence.LOGGED_OUT, presence_since=T0)], T0)
    h.login("a1")
    assert h.core.agents["a1"].contacts_today == 7


def test_a_stored_agent_no_longer_configured_is_skipped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
):
    h = Recorded()
    with caplog.at_level(logging.WARNING, logger="acd.engine.agents"):
        out = h.core.restore_agents([record("gone"), record("a2")], T0)
    restored = [c.event for c in out if isinstance(c, cmd.Emit)]
    assert [e.agent_id for e in restored if isinstance(e, AgentEvent)] == ["a2"]
    assert len(restored) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["stored agent gone is not configured any more: not restored"]
    assert h.core.agents["a2"].presence is Presence.AVAILABLE


def test_a_reason_no_longer_configured_is_kept_until_the_agent_picks_another(
    caplog: pytest.LogCaptureFixture,
):
    h = Recorded()
    stored = record(presence=Presence.NOT_AVAILABLE, reason="siesta")
    with caplog.at_level(logging.WARNING, logger="acd.engine.agents"):
        h.core.restore_agents([stored], T0)
    a1 = h.core.agents["a1"]
    assert (a1.presence, a1.reason, a1.presence_since) == (Presence.NOT_AVAILABLE, "siesta", T0)
    assert "'siesta', which is not configured any more" in caplog.text
    assert h.core.free_for(GENERAL) == 0
    h.feed(inp.SetPresence("a1", Presence.AVAILABLE, None), after_s=1)
    assert h.core.free_for(GENERAL) == 1
