"""The period a report covers and the intervals it is cut into, on Europe/Brussels wall-clock
time: a day, week or month starts at local midnight (a 1 h interval across the autumn clock
change is still one hour of real time; a day that has 23 or 25 hours is one day).

Bad input raises :class:`ReportError` naming the option and the reason, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from foundation.errors import AcdError

BRUSSELS = ZoneInfo("Europe/Brussels")
# A report reaches no further back or forward than this: a typo such as 0027 or 9999 is an
# error rather than a report of empty intervals, or an overflow.
EARLIEST = date(2000, 1, 1)
LATEST = date(2199, 12, 31)
MAX_INTERVALS = 20_000  # e.g. a year in 30 min intervals is 17,520


class ReportError(AcdError):
    """A report cannot be made as asked: the message says which option and why."""


class Interval(StrEnum):
    HALF_HOUR = "30m"
    HOUR = "1h"
    DAY = "1d"
    WEEK = "1w"
    MONTH = "1mo"


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)``, both aware (kept in UTC); reported in ``interval`` steps."""

    start: datetime
    end: datetime
    interval: Interval = Interval.DAY

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ReportError("a report period needs timezone-aware times")
        # Kept in UTC: Python compares and subtracts two times of one tzinfo by their wall
        # clocks, which is wrong across the hour the clock goes back.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise ReportError(
                f"--to ({_show(self.end)}) must be after --from ({_show(self.start)})"
            )

    def intervals(self) -> list[tuple[datetime, datetime]]:
        """The period cut at the interval's Brussels boundaries; the first and last may be
        partial when the period does not start or end on one."""
        cuts = [self.start]
        for boundary in _boundaries(self.start, self.interval):
            if boundary >= self.end:
                break
            cuts.append(boundary)
            if len(cuts) > MAX_INTERVALS:
                raise ReportError(
                    f"--interval {self.interval.value}: more than {MAX_INTERVALS} intervals "
                    "in the period; choose a longer interval or a shorter period"
                )
        cuts.append(self.end)
        return list(pairwise(cuts))


def _boundaries(after: datetime, interval: Interval) -> Iterator[datetime]:
    """Interval starts strictly after ``after``, in Brussels wall-clock terms."""
    local = after.astimezone(BRUSSELS)
    if interval in (Interval.HALF_HOUR, Interval.HOUR):
        step = timedelta(minutes=30 if interval is Interval.HALF_HOUR else 60)
        # Sub-day steps are taken in real (UTC) time from a local boundary, so the hour the
        # clock goes back is two intervals, not one of two hours.
        minute = 0 if interval is Interval.HOUR else (local.minute // 30) * 30
        at = local.replace(minute=minute, second=0, microsecond=0).astimezone(UTC)
        while True:
            at += step
            if at > after:
                yield at
        return
    day = local.date()
    if interval is Interval.WEEK:
        day -= timedelta(days=day.weekday())  # weeks start on Monday
    elif interval is Interval.MONTH:
        day = day.replace(day=1)
    while True:
        day = _next_day(day, interval)
        yield datetime.combine(day, time(), BRUSSELS).astimezone(UTC)


def _next_day(day: date, interval: Interval) -> date:
    if interval is Interval.DAY:
        return day + timedelta(days=1)
    if interval is Interval.WEEK:
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_moment(text: str, option: str, *, end: bool = False) -> datetime:
    """``YYYY-MM-DD`` (a Brussels day: its start, or for ``end`` the start of the next day, so
    ``--to`` names the last day included) or ``YYYY-MM-DDTHH:MM[:SS][+offset]`` (Brussels
    wall-clock time without an offset; an exact moment, excluded as an end)."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            _check_range(day, option, text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(), BRUSSELS)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(
            f"{option} {text!r}: not a date (YYYY-MM-DD) or a date and time "
            "(YYYY-MM-DDTHH:MM, optionally with an offset such as +01:00)"
        ) from None
    _check_range(moment.date(), option, text)
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=BRUSSELS)
    return moment


def _check_range(day: date, option: str, text: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ReportError(
            f"{option} {text!r}: reports cover {EARLIEST.year} to {LATEST.year}; "
            "is the year mistyped?"
        )


def parse_period(start: str, end: str, interval: str = Interval.DAY.value) -> Period:
    try:
        step = Interval(interval)
    except ValueError:
        choices = ", ".join(i.value for i in Interval)
        raise ReportError(f"--interval {interval!r}: choose one of {choices}") from None
    first, last = parse_moment(start, "--from"), parse_moment(end, "--to", end=True)
    if last <= first:
        raise ReportError(
            f"--to {end.strip()} is not after --from {start.strip()}: the period is empty "
            "(--to names the last day included, or an exact end moment)"
        )
    period = Period(first, last, step)
    period.intervals()  # refuses a period of too many intervals now, before any I/O
    return period


def _show(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).isoformat(timespec="minutes")
