"""The operational report: per line, line code and interval, what was offered and how it was
served, with ``sla.service_level``'s figures over a :class:`~sla.service_level.Tally` built
from the contact records, so the numbers are the metrics' numbers for the same period.

A contact counts in the interval it arrived in (Brussels boundaries, :mod:`acd.reports.period`);
a callback in the interval it was requested in.  Callback placements (the engine calling a
citizen back) are not inbound contacts: they count as callbacks made, never as offered.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from acd.engine.legs import is_originated_leg
from acd.reports.period import Period
from callbacks.model import Callback, CallbackStatus
from foundation.contact import ContactKind, ContactRecord, Outcome
from sla.service_level import (
    ANSWER_RATE_NORM,
    SERVICE_LEVEL_THRESHOLD_S,
    Tally,
    abandon_rate,
    answer_rate,
    average_handling_time,
    average_speed_of_answer,
    service_level,
    service_level_without_short_abandons,
)

Group = tuple[str, str]  # (line, line code)


@dataclass(slots=True)
class _Counts:
    tally: Tally = field(default_factory=Tally)
    callbacks_requested: int = 0
    callbacks_made: int = 0
    callbacks_made_in_time: int = 0
    escalations_phone: int = 0
    escalations_email: int = 0


@dataclass(frozen=True, slots=True)
class OperationalRow:
    """One line and line code over one interval (or the whole period)."""

    line: str
    line_code: str
    start: datetime
    end: datetime
    tally: Tally
    callbacks_requested: int  # requested in the interval
    callbacks_made: int  # of those, completed (the citizen reached) by now
    callbacks_made_in_time: int  # of those, within their deadline (2 working days)
    escalations_phone: int
    escalations_email: int

    @property
    def offered(self) -> int:
        return int(self.tally.offered)

    @property
    def answered(self) -> int:
        return int(self.tally.answered)

    @property
    def abandoned(self) -> int:
        return int(self.tally.abandoned)

    @property
    def short_abandoned(self) -> int:
        return int(self.tally.short_abandoned)

    @property
    def answer_rate(self) -> float | None:
        return answer_rate(self.tally)

    @property
    def meets_norm(self) -> bool | None:
        """Answer rate at or above the 95% norm; None without a figure."""
        rate = self.answer_rate
        return None if rate is None else rate >= ANSWER_RATE_NORM

    @property
    def service_level(self) -> float | None:
        return service_level(self.tally)

    @property
    def service_level_without_short_abandons(self) -> float | None:
        return service_level_without_short_abandons(self.tally)

    @property
    def abandon_rate(self) -> float | None:
        return abandon_rate(self.tally)

    @property
    def average_speed_of_answer_s(self) -> float | None:
        return average_speed_of_answer(self.tally)

    @property
    def average_handling_time_s(self) -> float | None:
        return average_handling_time(self.tally)


def is_callback_placement(record: ContactRecord) -> bool:
    """The engine calling a citizen back: the stored record has no kind, but its channel is
    one the engine originated (the citizen's leg), never a caller's."""
    return record.kind is ContactKind.CALLBACK or is_originated_leg(record.channel_id)


def contact_tally(
    record: ContactRecord, *, short_abandon_s: float, wrap_up_s: float = 0.0
) -> Tally:
    """What one inbound contact adds to a tally: what the metrics count of it
    (``sla.metrics.EngineMetrics``), from the stored record instead of the events."""
    wait = record.wait_seconds
    queued = record.queued_at is not None
    answered = record.answered_at is not None
    abandoned = record.outcome is Outcome.ABANDONED and wait is not None
    talks = answered and record.ended_at is not None
    talk_s = 0.0
    if talks and record.answered_at is not None:
        # The agent's part ends when the escalation point takes the caller over.
        talk_end = record.transferred_at or record.ended_at or record.answered_at
        talk_s = max(0.0, (talk_end - record.answered_at).total_seconds())
    answer_wait = wait if answered and wait is not None else 0.0
    return Tally(
        offered=float(queued),
        answered=float(answered),
        abandoned=float(abandoned),
        short_abandoned=float(abandoned and wait is not None and wait < short_abandon_s),
        answered_within=float(answered and wait is not None and wait <= SERVICE_LEVEL_THRESHOLD_S),
        answer_wait_s=answer_wait,
        talk_s=talk_s,
        talks=float(talks),
        wrap_up_s=wrap_up_s if answered else 0.0,
    )


def operational_rows(
    period: Period,
    contacts: Iterable[ContactRecord],
    callbacks: Iterable[Callback],
    *,
    short_abandon_s: float,
    wrap_ups: Mapping[str, float] | None = None,
    groups: Iterable[Group] = (),
    whole_period: bool = False,
) -> list[OperationalRow]:
    """Rows per (line, line code) and interval, in that order; every group seen (or given in
    ``groups``, such as the configured lines) has a row in every interval, zero or not, so a
    chart's axis has no holes.  ``whole_period``: one row per group over the whole period.

    ``wrap_ups`` maps a contact id to the after-call work that followed it, in seconds (the
    records carry no wrap-up yet: without it AHT is talk time only)."""
    cuts = [(period.start, period.end)] if whole_period else period.intervals()
    starts = [start for start, _end in cuts]
    counts: dict[tuple[Group, int], _Counts] = {}
    seen: set[Group] = set(groups)

    def slot(group: Group, at: datetime) -> _Counts | None:
        if not period.start <= at < period.end:
            return None
        seen.add(group)
        key = (group, bisect.bisect_right(starts, at) - 1)
        return counts.setdefault(key, _Counts())

    wrap = wrap_ups or {}
    for record in contacts:
        if is_callback_placement(record):
            continue
        counted = slot((record.line or "", record.line_code or ""), record.arrived_at)
        if counted is not None:
            _count_contact(counted, record, short_abandon_s, wrap.get(record.id, 0.0))
    for callback in callbacks:
        counted = slot((callback.line, callback.line_code), callback.requested_at)
        if counted is not None:
            _count_callback(counted, callback)
    rows = []
    for group in sorted(seen):
        for index, (start, end) in enumerate(cuts):
            found = counts.get((group, index), _Counts())
            rows.append(
                OperationalRow(
                    line=group[0],
                    line_code=group[1],
                    start=start,
                    end=end,
                    tally=found.tally,
                    callbacks_requested=found.callbacks_requested,
                    callbacks_made=found.callbacks_made,
                    callbacks_made_in_time=found.callbacks_made_in_time,
                    escalations_phone=found.escalations_phone,
                    escalations_email=found.escalations_email,
                )
            )
    return rows


def _count_contact(
    counted: _Counts, record: ContactRecord, short_abandon_s: float, wrap_up_s: float
) -> None:
    counted.tally += contact_tally(record, short_abandon_s=short_abandon_s, wrap_up_s=wrap_up_s)
    if record.outcome is Outcome.ESCALATED_PHONE:
        counted.escalations_phone += 1
    elif record.outcome is Outcome.ESCALATED_EMAIL:
        counted.escalations_email += 1


def _count_callback(counted: _Counts, callback: Callback) -> None:
    counted.callbacks_requested += 1
    if callback.status is CallbackStatus.COMPLETED:
        counted.callbacks_made += 1
        counted.callbacks_made_in_time += int(callback.completed_within_deadline)
