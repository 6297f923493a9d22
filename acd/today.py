"""Today's figures per line and line code (Europe/Brussels), counted from the engine's contact
events as they happen: what the wallboard shows as offered, answered and abandoned today, and
the service level, with the one definition of each figure in :mod:`sla.service_level`.

The counting mirrors :class:`sla.metrics.EngineMetrics` (offered when first queued, answered
once, abandoned at the end, callbacks placed by the engine left out), so the wallboard and
Prometheus agree.  It lives in memory; at start :meth:`TodayFigures.load` counts the day's
contact records that ended before it (the calls still in progress are counted by their events
once the engine takes them up).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from acd.engine import agent_time
from acd.engine.legs import is_originated_leg
from foundation.contact import (
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    ContactRecord,
    Outcome,
)
from sla.service_level import SERVICE_LEVEL_THRESHOLD_S, Tally

_LOCAL = ZoneInfo("Europe/Brussels")
Key = tuple[str, str]  # (line, line code)


@dataclass(slots=True)
class _Counts:
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answer_wait_s: float = 0.0

    def tally(self) -> Tally:
        return Tally(
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            short_abandoned=self.short_abandoned,
            answered_within=self.answered_within,
            answer_wait_s=self.answer_wait_s,
        )


@dataclass(slots=True)
class TodayFigures:
    """A contact event sink: today's counts per (line, line code)."""

    short_abandon_s: float = 5.0
    threshold_s: float = SERVICE_LEVEL_THRESHOLD_S
    day: date | None = None
    _counts: dict[Key, _Counts] = field(default_factory=dict)
    _queued: set[str] = field(default_factory=set)
    _answered: set[str] = field(default_factory=set)

    def tally(self, line: str, line_code: str, now: datetime) -> Tally:
        self._roll(now)
        counts = self._counts.get((line, line_code))
        return counts.tally() if counts is not None else Tally()

    def contact_event(self, event: ContactEvent) -> None:
        contact = event.contact
        if contact.kind is ContactKind.CALLBACK:
            return
        self._roll(event.at)
        key = (contact.line or "", contact.line_code or "")
        if event.kind is ContactEventKind.QUEUED and contact.id not in self._queued:
            self._queued.add(contact.id)
            self._of(key).offered += 1
        elif event.kind is ContactEventKind.ANSWERED and contact.id not in self._answered:
            self._answered.add(contact.id)
            counts = self._of(key)
            counts.answered += 1
            wait = contact.wait_seconds
            if wait is not None:
                counts.answer_wait_s += wait
                counts.answered_within += wait <= self.threshold_s
        elif event.kind is ContactEventKind.ENDED:
            queued = contact.id in self._queued
            self._queued.discard(contact.id)
            self._answered.discard(contact.id)
            wait = contact.wait_seconds
            if queued and contact.outcome is Outcome.ABANDONED and wait is not None:
                counts = self._of(key)
                counts.abandoned += 1
                counts.short_abandoned += wait < self.short_abandon_s

    def agent_event(self, event: AgentEvent) -> None:
        return None

    def load(self, records: Iterable[ContactRecord], now: datetime) -> int:
        """Count today's ended inbound contacts from the store (at start); returns how many."""
        self._roll(now)
        counted = 0
        for record in records:
            ended = record.ended_at
            if ended is None or is_originated_leg(record.channel_id) or record.queued_at is None:
                continue  # in progress, a callback being placed, or never queued
            if ended.astimezone(_LOCAL).date() != self.day:
                continue
            counts = self._of((record.line or "", record.line_code or ""))
            counts.offered += 1
            wait = record.wait_seconds
            if record.answered_at is not None:
                counts.answered += 1
                if wait is not None:
                    counts.answer_wait_s += wait
                    counts.answered_within += wait <= self.threshold_s
            elif record.outcome is Outcome.ABANDONED and wait is not None:
                counts.abandoned += 1
                counts.short_abandoned += wait < self.short_abandon_s
            counted += 1
        return counted

    def _of(self, key: Key) -> _Counts:
        found = self._counts.get(key)
        if found is None:
            found = self._counts[key] = _Counts()
        return found

    def _roll(self, now: datetime) -> None:
        today = agent_time.today(now)  # the Brussels day kept, not converted every event
        if today != self.day:
            self.day = today
            self._counts.clear()
