"""The occupancy report: per agent, and for all agents together, the share of their staffed
time spent handling contacts.

- **handling**: seconds on a call (from the answer until the call ends or a point takes it
  over) or in its after-call work, logged in, whatever the presence;
- **staffed**: seconds logged in and not on a break: available (waiting for an offer, ringing
  or handling), or not available but still busy with a contact;
- **occupancy** = handling / staffed, which is handling / (handling + available waiting),
  contact centres' definition; no figure without staffed time.

The same agent-seconds as the metrics' occupancy (``acd_agent_state_seconds_total``, the
classification in :func:`foundation.contact.staffed` and :func:`~foundation.contact.handling`).

Made from each agent's figures per day (``agent_days``, :mod:`acd.records.agent_days`), so by
whole Brussels days: the days the period touches, each counted whole.  A day's row holds the
figures up to its newest record; the stretch the agent was in then goes on until their next
record, so it is added to that day up to its end (or the report's making, for today) and to
each following day without a row of its own.  Not per line code: an agent's waiting time
serves every line code they take at once (the metrics keep occupancy per job for the same
reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby

from acd.records.agent_days import AgentDay
from acd.reports.period import BRUSSELS, Period
from foundation.contact import handling, staffed

ALL_AGENTS = "(all agents)"


@dataclass(frozen=True, slots=True)
class OccupancyRow:
    agent_id: str  # ALL_AGENTS for the sum over every agent
    staffed_s: float
    handling_s: float

    @property
    def occupancy(self) -> float | None:
        return self.handling_s / self.staffed_s if self.staffed_s > 0 else None


def report_days(period: Period) -> tuple[date, date]:
    """The first and last Brussels day the period touches."""
    last_moment = period.end - timedelta(microseconds=1)
    return period.start.astimezone(BRUSSELS).date(), last_moment.astimezone(BRUSSELS).date()


def occupancy_rows(
    period: Period, days: Iterable[AgentDay], *, made_at: datetime
) -> list[OccupancyRow]:
    """A row per agent with staffed time in the period's days, by agent id, then the sum
    over all agents (when any)."""
    first, last = report_days(period)
    made_at = made_at.astimezone(UTC)
    rows = []
    ordered = sorted(days, key=lambda d: (d.agent_id, d.day))
    for agent_id, of_agent in groupby(ordered, key=lambda d: d.agent_id):
        staffed_s = handling_s = 0.0
        for figures in _agent_days(list(of_agent), first, last, made_at):
            staffed_s += figures[0]
            handling_s += figures[1]
        if staffed_s > 0 or handling_s > 0:
            rows.append(OccupancyRow(agent_id, staffed_s, handling_s))
    if rows:
        total = OccupancyRow(
            ALL_AGENTS, sum(r.staffed_s for r in rows), sum(r.handling_s for r in rows)
        )
        rows.append(total)
    return rows


def _agent_days(
    rows: list[AgentDay], first: date, last: date, made_at: datetime
) -> Iterator[tuple[float, float]]:
    """(staffed, handling) of each day from ``first`` to ``last`` for one agent's rows (by
    day; at most one before ``first``)."""
    by_day = {row.day: row for row in rows}
    # The newest row before the day: its stretch goes on into the days without a row.
    current = next((row for row in reversed(rows) if row.day < first), None)
    day = first
    while day <= last:
        start, end = _bounds(day)
        stored = (0.0, 0.0)
        if day in by_day:
            current = by_day[day]
            stored = (current.staffed_s, current.handling_s)
        running = _stretch(current, start, min(end, made_at)) if current else (0.0, 0.0)
        yield stored[0] + running[0], stored[1] + running[1]
        day += timedelta(days=1)


def _bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in UTC: Python subtracts two times of one zone by their wall
    clocks, which would make the days the clocks change 24 hours long."""
    start = datetime.combine(day, time(), BRUSSELS).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(), BRUSSELS).astimezone(UTC)


def _stretch(row: AgentDay, start: datetime, end: datetime) -> tuple[float, float]:
    """The part in ``[start, end)`` of the stretch ``row`` ended in."""
    if row.state_since is None:
        return 0.0, 0.0
    since = row.state_since.astimezone(UTC)
    seconds = max(0.0, (end - max(since, start)).total_seconds())
    return (
        seconds if staffed(row.presence, row.state_activity) else 0.0,
        seconds if handling(row.presence, row.state_activity) else 0.0,
    )
