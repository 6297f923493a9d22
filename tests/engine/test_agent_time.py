"""The agent's time today (seconds per presence, wrap-up, occupancy's staffed and handling
seconds) is stored with the agent's record and restored by a restarted engine, of today only
(Europe/Brussels): an agent's and supervisor's figures of the day survive a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.desk import agent_today
from acd.records.recorder import AgentChanges
from foundation.contact import Activity, Presence, handling, staffed
from sla.sources import SOURCES
from tests.engine.test_agent_records import Recorded
from tests.engine.test_core import only

LUNCH = inp.SetPresence("a1", Presence.NOT_AVAILABLE, "lunch")


def a_call(h: Recorded, channel: str = "c1", talk_s: float = 60, wrap_up_s: float = 10) -> None:
    """a1 (available and idle) answers after 4 s, talks ``talk_s`` and wraps up ``wrap_up_s``."""
    leg = only(h.queue(channel), cmd.Originate).channel_id
    h.answer(leg, after_s=4)
    timer = only(h.feed(inp.ChannelGone(leg), after_s=talk_s), cmd.StartTimer)
    h.feed(inp.TimerFired(timer.key), after_s=wrap_up_s)
    assert h.core.agents["a1"].activity is Activity.IDLE


def today(h: Recorded) -> dict[str, object]:
    return agent_today(h.core.agents["a1"], h.now)


def test_a_restart_mid_day_keeps_the_seconds_per_presence_wrap_up_and_occupancy():
    h = Recorded()
    h.login("a1")  # available from T0 + 1 s
    a_call(h)  # ringing 4 s, talking 60 s, wrap-up 10 s
    h.feed(LUNCH, after_s=300)  # 374 s available, 70 of them handling
    h.now += timedelta(seconds=120)
    before = today(h)
    assert before["presence_seconds"] == {"available": 374.0, "not_available:lunch": 120.0}
    assert (before["staffed_s"], before["handling_s"]) == (374.0, 70.0)
    assert before["occupancy"] == pytest.approx(70 / 374)
    assert (before["contacts"], before["talk_time_s"], before["wrap_up_s"]) == (1, 60.0, 10.0)

    after = h.restarted(after_s=0)
    assert today(after) == before
    # And it counts on from there: back from lunch, another call.
    after.feed(inp.SetPresence("a1", Presence.AVAILABLE), after_s=30)
    a_call(after, "c2", talk_s=100, wrap_up_s=10)
    figures = today(after)
    assert figures["presence_seconds"] == {"available": 374.0 + 114, "not_available:lunch": 150.0}
    assert (figures["staffed_s"], figures["handling_s"]) == (374.0 + 114, 70.0 + 110)
    assert (figures["contacts"], figures["wrap_up_s"]) == (2, 20.0)


def test_the_time_the_engine_was_down_counts_as_the_state_the_agent_was_stored_in():
    h = Recorded()
    h.login("a1")
    a_call(h)  # the last write: the wrap-up's end (idle, available), 75 s after T0
    h.now += timedelta(seconds=300)  # waiting for a call, nothing written
    after = h.restarted(after_s=60)
    figures = today(after)
    assert figures["presence_seconds"] == {"available": 434.0}
    assert (figures["staffed_s"], figures["handling_s"]) == (434.0, 70.0)


def test_a_logged_out_agent_keeps_the_days_figures_over_a_restart():
    h = Recorded()
    h.login("a1")
    a_call(h)
    h.feed(inp.AgentLogout("a1"), after_s=26)  # 100 s logged in
    after = h.restarted(after_s=600)
    figures = today(after)
    assert figures["presence_seconds"] == {"available": 100.0}
    assert (figures["staffed_s"], figures["handling_s"]) == (100.0, 70.0)


def test_yesterdays_seconds_do_not_carry_into_today_in_brussels():
    # 21:30 UTC on 30 March 2027 is 23:30 in Brussels (summer time): midnight is 22:00 UTC.
    h = Recorded()
    h.now = datetime(2027, 3, 30, 21, 30, tzinfo=UTC)
    h.login("a1", gap_s=0)
    a_call(h)
    h.feed(LUNCH, after_s=600)  # 23:41:14
    h.feed(inp.SetPresence("a1", Presence.AVAILABLE), after_s=600)  # 23:51:14
    h.now = datetime(2027, 3, 30, 22, 30, tzinfo=UTC)  # 00:30 the next day in Brussels
    figures = today(h)
    assert figures["day"] == "2027-03-31"
    assert figures["presence_seconds"] == {"available": 1800.0}  # since midnight only
    assert (figures["staffed_s"], figures["handling_s"]) == (1800.0, 0.0)
    assert (figures["contacts"], figures["talk_time_s"], figures["wrap_up_s"]) == (0, 0.0, 0.0)

    # A restart now: the stored record is of yesterday; only the stretch's part of today counts.
    after = h.restarted(after_s=0)
    assert after.core.agents["a1"].presence is Presence.AVAILABLE
    assert today(after) == figures
    # The first change after midnight starts the day afresh in the engine too.
    after.feed(LUNCH, after_s=60)
    assert after.stored()["a1"].stats_day == date(2027, 3, 31)
    assert after.stored()["a1"].presence_seconds_today == {"available": 1860.0}
    assert after.stored()["a1"].staffed_today_s == 1860.0


def test_a_record_of_an_earlier_day_gives_no_figures_but_todays_part_of_its_stretch():
    h = Recorded()
    h.now = datetime(2027, 3, 30, 21, 59, tzinfo=UTC)  # 23:59 in Brussels
    h.login("a1", gap_s=0)
    h.feed(LUNCH, after_s=30)
    after = h.restarted(after_s=3600)  # 00:59:30
    figures = today(after)
    assert figures["presence_seconds"] == {"not_available:lunch": 3570.0}
    assert (figures["staffed_s"], figures["handling_s"], figures["occupancy"]) == (0.0, 0.0, None)


@pytest.mark.parametrize(("presence", "activity"), list(product(Presence, Activity)))
def test_staffed_and_handling_are_the_metrics_agent_seconds(presence: Presence, activity: Activity):
    labels = {"presence": presence.value, "activity": activity.value}

    def counted(field: str) -> bool:
        return any(source.matches(labels) for source in SOURCES[field])

    assert staffed(presence, activity) is counted("staffed_agent_s")
    assert handling(presence, activity) is counted("handling_agent_s")


def test_the_day_the_clocks_go_forward_has_23_hours():
    h = Recorded()
    h.now = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # 23:00 in Brussels (winter time)
    h.login("a1", gap_s=0)
    h.now = datetime(2027, 3, 28, 10, 0, tzinfo=UTC)  # 12:00 (summer time): 11 hours on
    figures = today(h)
    assert figures["presence_seconds"] == {"available": 11 * 3600.0}
    assert figures["staffed_s"] == 11 * 3600.0
    h.feed(LUNCH)
    assert h.stored()["a1"].staffed_today_s == 11 * 3600.0


def test_a_node_of_several_takes_the_day_figures_from_sql_and_the_rest_from_the_pool():
    h = Recorded()
    h.login("a1")
    a_call(h)
    h.feed(LUNCH, after_s=25)  # 99 s available, 70 handling
    stored = h.stored()["a1"]
    assert stored.stats_day is not None
    yesterday = stored.stats_day - timedelta(days=1)
    other = Recorded()
    other.now = h.now + timedelta(seconds=60)
    other.core.restore_agent_figures([stored], other.now)
    # The pool then says where the agent is, with counters of yesterday (an old pool record).
    pool = inp.AgentShared(
        "a1",
        presence=inp.SharedPresence(Presence.NOT_AVAILABLE, "lunch", stored.presence_since),
        counters=inp.SharedCounters(yesterday, 9, 999.0, 0),
    )
    other.feed(pool)
    figures = today(other)
    assert figures["presence_seconds"] == {"available": 99.0, "not_available:lunch": 60.0}
    assert (figures["staffed_s"], figures["handling_s"], figures["wrap_up_s"]) == (99.0, 70.0, 10.0)
    assert (figures["contacts"], figures["talk_time_s"]) == (1, 60.0)  # today's, not the pool's


def test_a_restart_mid_call_counts_the_call_as_handling_from_what_the_writer_stores():
    # What the records writer keeps: events that change nothing stored are not written
    # (reserved, ringing); the answer is (a contact counted), so the stored stretch is the call.
    h = Recorded()
    h.login("a1")
    leg = only(h.queue("c1"), cmd.Originate).channel_id
    h.feed(inp.AgentLegRinging(leg), after_s=1)
    h.answer(leg, after_s=4)
    h.now += timedelta(seconds=100)  # talking
    changes = AgentChanges()
    written = [e.record for e in h.agent_events if changes.urgency(e.record) is not None]
    assert written[-1].state_activity is Activity.ON_CALL
    h.agent_events = [e for e in h.agent_events if e.record in written]
    after = h.restarted(after_s=20)
    figures = today(after)
    assert (figures["staffed_s"], figures["handling_s"]) == (125.0, 120.0)
