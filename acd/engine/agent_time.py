"""An agent's time today: seconds per presence, and occupancy's staffed and handling seconds.

The agent book (:mod:`acd.engine.agents`) calls :func:`count_presence` before a presence or
reason changes and :func:`count_state` before presence or activity changes; each adds the
stretch that ends now to today's figures (from the day's start if the stretch began
earlier: yesterday's part is yesterday's).  The figures are stored with the agent's record and
taken back by :func:`restore_figures` when an engine starts, if they are of today.

"Today" is the calendar day in Europe/Brussels, as every day figure of the engine (a day is a
date there, not 24 hours: the days the clocks change are not).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from acd.engine.agent_state import AgentState
from foundation.contact import Activity, AgentRecord, Presence, handling, staffed

_LOCAL = ZoneInfo("Europe/Brussels")  # where "today" starts for the per-agent day counters


def presence_key(presence: Presence, reason: str | None) -> str:
    """How today's time per presence is keyed: ``available``, ``not_available:lunch``."""
    return f"{presence}:{reason}" if reason else str(presence)


class _Day:
    """The Brussels day of the last moment asked about, kept: every move of an agent asks,
    and a time zone conversion costs more than the comparison."""

    __slots__ = ("_from", "_to", "date", "end", "start")

    def __init__(self) -> None:
        self.start = self.end = datetime.min.replace(tzinfo=UTC)
        self._from = self._to = self.start
        self.date = date.min

    def of(self, now: datetime) -> _Day:
        # Against the bounds in UTC, the clock's zone: comparing across zones asks the
        # Brussels zone for its offset at every comparison (1.5% of the engine's thread).
        if not self._from <= now < self._to:
            local = now.astimezone(_LOCAL)
            self.start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            self.date = local.date()
            self.end = datetime.combine(self.date + timedelta(days=1), time(), _LOCAL)
            self._from, self._to = self.start.astimezone(UTC), self.end.astimezone(UTC)
        return self


_day = _Day()


def day_start(now: datetime) -> datetime:
    """Midnight in Brussels of ``now``'s day (in Brussels time)."""
    return _day.of(now).start


def today(now: datetime) -> date:
    """The calendar day in Brussels."""
    return _day.of(now).date


def roll_day(agent: AgentState, now: datetime) -> None:
    """A new day: the day counters start from zero."""
    day = today(now)
    if agent.stats_day != day:
        agent.stats_day = day
        agent.contacts_today = 0
        agent.talk_time_today_s = 0.0
        agent.presence_seconds_today = {}
        agent.wrap_up_today_s = 0.0
        agent.staffed_today_s = 0.0
        agent.handling_today_s = 0.0


def count_presence(agent: AgentState, now: datetime) -> None:
    """Add the time since presence_since to today's time in the presence ending now."""
    if agent.presence_since is None or agent.presence is Presence.LOGGED_OUT:
        return
    roll_day(agent, now)
    seconds = (now - max(agent.presence_since, day_start(now))).total_seconds()
    if seconds > 0:
        key = presence_key(agent.presence, agent.reason)
        # A new dict, never one changed in place: the agent's records share it uncopied.
        seconds_today = agent.presence_seconds_today
        agent.presence_seconds_today = {**seconds_today, key: seconds_today.get(key, 0.0) + seconds}


def count_state(agent: AgentState, now: datetime) -> None:
    """Presence or activity changes now: add the stretch since state_since to today's staffed
    and handling seconds as the state it ends counts, and start the next stretch now."""
    roll_day(agent, now)  # the stored stretch is of the record's day: never of an older one
    add_stretch(agent, agent.presence, agent.activity, agent.state_since, now)
    agent.state_since = now


def add_stretch(
    agent: AgentState,
    presence: Presence,
    activity: Activity,
    since: datetime | None,
    now: datetime,
) -> None:
    """Today's part of the stretch ``[since, now)`` spent in ``presence`` and ``activity``."""
    if since is None:
        return
    is_staffed, is_handling = staffed(presence, activity), handling(presence, activity)
    if not (is_staffed or is_handling):
        return
    roll_day(agent, now)
    seconds = (now - max(since, day_start(now))).total_seconds()
    if seconds <= 0:
        return
    if is_staffed:
        agent.staffed_today_s += seconds
    if is_handling:
        agent.handling_today_s += seconds


def restore_figures(agent: AgentState, record: AgentRecord, now: datetime) -> None:
    """Take back the stored day counters and figures if they are of today, then the stretch
    the stored record was in when it was taken, up to now: the time an engine was down counts
    as the agent's state then, as the restored presence counts from its stored start (the
    agent worked on, as far as they knew)."""
    if record.stats_day == today(now):
        agent.stats_day = record.stats_day
        agent.contacts_today = record.contacts_today
        agent.talk_time_today_s = record.talk_time_today_s
        agent.presence_seconds_today = dict(record.presence_seconds_today)
        agent.wrap_up_today_s = record.wrap_up_today_s
        agent.staffed_today_s = record.staffed_today_s
        agent.handling_today_s = record.handling_today_s
    add_stretch(agent, record.presence, record.state_activity, record.state_since, now)
