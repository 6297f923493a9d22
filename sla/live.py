"""Figures that change with the clock rather than with events: how long the oldest waiting
contact has waited, and how many agent-seconds were spent in each presence and activity.

Both are worked out when Prometheus scrapes (a collector), from what the events left behind
(who is waiting since when, who is in which state since when), so no timer has to tick them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from foundation.contact import Activity, Presence

LineLabels = tuple[str, str]  # (line, line_code)


class WaitingContacts:
    """Which contacts are queued now, under which line labels, since when."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[LineLabels, datetime]] = {}
        self._seen: set[LineLabels] = set()  # every series once created stays, at 0 when empty

    def add(self, contact_id: str, labels: LineLabels, since: datetime) -> None:
        self._waiting[contact_id] = (labels, since)
        self._seen.add(labels)

    def declare(self, labels: LineLabels) -> None:
        self._seen.add(labels)

    def remove(self, contact_id: str) -> None:
        self._waiting.pop(contact_id, None)

    def oldest(self, now: datetime) -> dict[LineLabels, float]:
        """Per line and line code, the longest wait now (0 where nobody waits)."""
        oldest = dict.fromkeys(self._seen, 0.0)
        for labels, since in self._waiting.values():
            oldest[labels] = max(oldest[labels], (now - since).total_seconds())
        return oldest


AgentState = tuple[Presence, Activity]


class AgentTime:
    """Agent-seconds per presence and activity: finished stretches, plus the stretch each agent
    is in now (up to the scrape).  Only grows, so it is a counter Prometheus can ``rate``."""

    def __init__(self) -> None:
        self._done: dict[AgentState, float] = {(p, a): 0.0 for p in Presence for a in Activity}
        self._current: dict[str, tuple[AgentState, datetime]] = {}

    def change(self, agent_id: str, state: AgentState, at: datetime) -> None:
        before = self._current.get(agent_id)
        if before is not None:
            (old_state, since) = before
            self._done[old_state] += max(0.0, (at - since).total_seconds())
            at = max(at, since)  # an event stamped earlier must not give time back
        self._current[agent_id] = (state, at)

    def totals(self, now: datetime) -> dict[AgentState, float]:
        totals = dict(self._done)
        for state, since in self._current.values():
            totals[state] += max(0.0, (now - since).total_seconds())
        return totals


class LiveCollector(Collector):
    """``acd_oldest_wait_seconds`` and ``acd_agent_state_seconds_total``, computed at scrape."""

    def __init__(
        self, waiting: WaitingContacts, agents: AgentTime, now: Callable[[], datetime]
    ) -> None:
        self._waiting = waiting
        self._agents = agents
        self._now = now
        self.open_lines: Callable[[datetime], Mapping[str, bool]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = self._now()
        if self.open_lines is not None:
            line_open = GaugeMetricFamily(
                "acd_line_open",
                "1 while the line is open by its calendar, else 0 (alerts on the answer rate "
                "only fire while open).",
                labels=("line",),
            )
            for line, is_open in sorted(self.open_lines(now).items()):
                line_open.add_metric((line,), 1.0 if is_open else 0.0)
            yield line_open
        oldest = GaugeMetricFamily(
            "acd_oldest_wait_seconds",
            "How long the longest-waiting queued contact has waited so far (0: nobody waits).",
            labels=("line", "line_code"),
        )
        for (line, code), seconds in sorted(self._waiting.oldest(now).items()):
            oldest.add_metric((line, code), seconds)
        yield oldest
        spent = CounterMetricFamily(
            "acd_agent_state_seconds",
            "Agent-seconds spent in each presence and activity (occupancy is worked out "
            "from these: see sla.service_level.occupancy).",
            labels=("presence", "activity"),
        )
        for (presence, activity), seconds in sorted(self._agents.totals(now).items()):
            spent.add_metric((presence.value, activity.value), seconds)
        yield spent
