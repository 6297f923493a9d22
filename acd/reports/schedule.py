"""Scheduled reports: each schedule cuts time into consecutive periods of ``every`` (N days,
weeks or months) from its ``starting`` date, Brussels midnights; a period's report is due at
``run_at`` (Brussels time) on the day it ends, i.e. the first day after it.  A weekly schedule
starting on a Monday with run_at 06:00 makes Monday-to-Sunday reports each Monday at 06:00.

Pure: :func:`due_periods` and :func:`next_run` take ``now`` and the last period made (from
:class:`acd.reports.runs.ReportRunStore`), so a restart neither skips a period (every one
after the last made is due, however long the engine was down) nor repeats one.  A schedule
never run makes only its latest due period, not a backlog back to ``starting``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from acd.reports.period import BRUSSELS, Interval, Period
from acd.settings import Settings

UNITS = {"d": "days", "w": "weeks", "mo": "months"}
FORMATS = ("csv", "html", "xlsx")


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    every: int
    unit: str  # d, w or mo
    starting: date
    run_at: time = time(6, 0)
    interval: Interval = Interval.DAY
    format: str = "html"
    folder: Path | None = None
    mail_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"every: the unit must be d, w or mo, not {self.unit!r}")
        if self.every < 1:
            raise ValueError("every: at least 1")
        if self.unit == "mo" and self.starting.day > 28:
            raise ValueError("starting: a monthly schedule starts on day 1 to 28 of a month")
        if self.folder is None and not self.mail_to:
            raise ValueError("give a folder, mail_to or both: a report needs somewhere to go")

    @property
    def every_text(self) -> str:
        return f"{self.every}{self.unit}"

    def boundary(self, k: int) -> date:
        """The start of the k-th period (k = 0: ``starting``)."""
        if self.unit == "d":
            return self.starting + timedelta(days=self.every * k)
        if self.unit == "w":
            return self.starting + timedelta(weeks=self.every * k)
        months = self.starting.month - 1 + self.every * k
        return self.starting.replace(year=self.starting.year + months // 12, month=months % 12 + 1)

    def period(self, k: int) -> Period:
        """The k-th period, ``[boundary(k), boundary(k + 1))``."""
        return Period(_midnight(self.boundary(k)), _midnight(self.boundary(k + 1)), self.interval)

    def run_time(self, k: int) -> datetime:
        """When the k-th period's report is due: ``run_at`` on the day after it."""
        return datetime.combine(self.boundary(k + 1), self.run_at, BRUSSELS)

    def describe(self, last_end: datetime | None, *, now: datetime) -> dict[str, Any]:
        upcoming = next_run(self, last_end, now)
        return {
            "name": self.name,
            "every": self.every_text,
            "interval": self.interval.value,
            "format": self.format,
            "to": ", ".join([*([str(self.folder)] if self.folder else []), *self.mail_to]),
            "last_period_end": _local(last_end) if last_end else "never run",
            "next_run": _local(upcoming[0]) if upcoming else "",
            "next_period": (
                f"{_local(upcoming[1].start)} to {_local(upcoming[1].end)}" if upcoming else ""
            ),
        }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BRUSSELS)


def _local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).isoformat(timespec="minutes")


def _index_after(schedule: Schedule, last_end: datetime) -> int:
    """The index of the period starting at ``last_end`` (a stored boundary)."""
    day = last_end.astimezone(BRUSSELS).date()
    k = 0
    while schedule.boundary(k) < day:
        k += 1
    return k


def _indexes(start: int) -> Iterator[int]:
    k = start
    while True:
        yield k
        k += 1


def due_periods(schedule: Schedule, last_end: datetime | None, now: datetime) -> list[Period]:
    """The periods whose report is due at ``now``, oldest first."""
    if last_end is None:
        latest = None
        for k in _indexes(0):
            if schedule.run_time(k) > now:
                break
            latest = k
        return [] if latest is None else [schedule.period(latest)]
    due = []
    for k in _indexes(_index_after(schedule, last_end)):
        if schedule.run_time(k) > now:
            break
        due.append(schedule.period(k))
    return due


def next_run(
    schedule: Schedule, last_end: datetime | None, now: datetime
) -> tuple[datetime, Period] | None:
    """When the next report not yet made is due, and its period (possibly already due)."""
    first = 0 if last_end is None else _index_after(schedule, last_end)
    for k in _indexes(first):
        if last_end is not None or schedule.run_time(k) > now:
            return schedule.run_time(k), schedule.period(k)
    return None  # pragma: no cover - the loop always returns


def schedules_of(settings: Settings) -> list[Schedule]:
    """The schedules of acd.yaml's ``reports`` section (none without it)."""
    if settings.reports is None:
        return []
    found = []
    for config in settings.reports.schedules:
        every, unit = config.every_parts
        found.append(
            Schedule(
                name=config.name,
                every=every,
                unit=unit,
                starting=config.starting,
                run_at=config.run_at,
                interval=Interval(config.interval),
                format=config.format,
                folder=config.folder,
                mail_to=config.mail_to,
            )
        )
    return found
