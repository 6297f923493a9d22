"""Schedule maths over a :class:`~foundation.calendars.model.Calendar`: pure functions, no clock.

The caller reads the time once, at the edge, and passes it in as ``at``; every function takes
and returns aware datetimes (results in the calendar's own time zone) and refuses naive ones,
whose meaning would depend on the machine's zone.

How a day's hours come about, strongest rule first: closures cut time out; an exceptional
opening replaces the day's slots (even on a holiday or a Sunday); a public holiday closes the
day; otherwise the weekly schedule applies.  Days are cut in wall-clock time, as operators write
them, and only then turned into instants, so 09:00 stays 09:00 on both sides of a
daylight-saving change, and a day with one is 23 or 25 hours long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from foundation.calendars.model import END_OF_DAY, Calendar, Slot

# How far ahead to look for an opening or a working day before concluding there is none: a
# year and a bit covers the longest closure anyone plans (a summer, a move) with room to spare.
SEARCH_DAYS = 400

_DAY = timedelta(days=1)

Interval = tuple[datetime, datetime]  # [start, end) in UTC
# The end of a stretch that is still open at the end of the search.
_FOREVER = datetime.max.replace(tzinfo=UTC)


class Reason(StrEnum):
    """Why a calendar is open or closed.  The values match the keys of a line's
    ``closed_prompts``."""

    OPEN = "open"
    WEEKEND = "weekend"  # the weekly schedule has no slots on this weekday
    HOLIDAY = "holiday"
    CLOSURE = "closure"
    OUTSIDE_HOURS = "outside_hours"


@dataclass(frozen=True, slots=True)
class Status:
    """The calendar at one moment.

    ``detail`` is the holiday's name or the closure's note when closed for one, the opening's
    note when open on an exceptional opening, else "".  ``message`` is the prompt configured
    for the date, if any.  ``closes_at`` is when the current open stretch ends (None when
    closed, or when open beyond :data:`SEARCH_DAYS`); ``next_opening`` is the start of the next
    stretch after the current one (None if there is none within :data:`SEARCH_DAYS`).

    ``valid_until`` is the first instant at which any of the other fields changes (open to
    closed, closed to open, another reason, detail or message), None if they never do; a
    :class:`~foundation.calendars.cache.StatusCache` keeps the status until then.  When an
    answer rests on the :data:`SEARCH_DAYS` horizon (no opening found, a stretch open beyond
    it), the horizon moves at the next midnight and ``valid_until`` is that midnight, where the
    status may turn out unchanged.
    """

    open: bool
    reason: Reason
    detail: str
    message: str | None
    next_opening: datetime | None
    closes_at: datetime | None
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Day:
    """One date's effective hours, for a week view.

    ``reason`` is OPEN when the day has slots, else why it is closed all day; ``detail`` names
    the holiday or gives the notes of the opening and of the closures that took hours away.
    """

    date: date
    slots: tuple[Slot, ...]
    reason: Reason
    detail: str
    message: str | None


def _utc(at: datetime, name: str = "at") -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got {at}")
    return at.astimezone(UTC)


def _local_day(calendar: Calendar, at_utc: datetime) -> date:
    return at_utc.astimezone(calendar.timezone).date()


def _instant(calendar: Calendar, wall: datetime) -> datetime:
    # A wall time that does not exist (inside the spring-forward gap) is read with the offset
    # from before the change, which lands just after the gap; an ambiguous one (the repeated
    # autumn hour) as its first occurrence.
    return wall.replace(tzinfo=calendar.timezone).astimezone(UTC)


def _in_zone(calendar: Calendar, moment: datetime) -> datetime:
    return moment.astimezone(calendar.timezone)


# --- one day ---------------------------------------------------------------------------------


def _base_slots(calendar: Calendar, day: date) -> tuple[Slot, ...]:
    """The day's slots before closures."""
    opening = calendar.opening_on(day)
    if opening is not None:
        return opening.slots
    if calendar.holiday_on(day):
        return ()
    return calendar.weekly[day.weekday()]


def _wall_pieces(slots: tuple[Slot, ...], day: date) -> list[tuple[datetime, datetime]]:
    midnight = datetime.combine(day, time(0))
    return [(midnight + slot.start_offset, midnight + slot.end_offset) for slot in slots]


def _subtract(
    pieces: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    kept: list[tuple[datetime, datetime]] = []
    for piece_start, piece_end in pieces:
        if piece_start < start:
            kept.append((piece_start, min(piece_end, start)))
        if piece_end > end:
            kept.append((max(piece_start, end), piece_end))
    return kept


def effective_slots(calendar: Calendar, day: date) -> tuple[Slot, ...]:
    """The slots ``day`` is open in, after openings, holidays and closures (wall-clock)."""
    pieces = _wall_pieces(_base_slots(calendar, day), day)
    for closure in calendar.closures:
        if pieces and closure.touches_day(day):
            pieces = _subtract(pieces, closure.start, closure.end)
    next_midnight = datetime.combine(day + _DAY, time(0))
    return tuple(
        Slot(start.time(), END_OF_DAY if end == next_midnight else end.time())
        for start, end in pieces
    )


def is_working_day(calendar: Calendar, day: date) -> bool:
    """A working day is a day with at least one slot left after holidays, closures and
    openings."""
    return bool(effective_slots(calendar, day))


def _day_intervals(calendar: Calendar, day: date) -> list[Interval]:
    intervals = [
        (_instant(calendar, start), _instant(calendar, end))
        for start, end in _wall_pieces(effective_slots(calendar, day), day)
    ]
    # A slot wholly inside the spring-forward gap (02:00-03:00) takes no time at all.
    return [(start, end) for start, end in intervals if start < end]


def day_schedule(calendar: Calendar, day: date) -> Day:
    slots = effective_slots(calendar, day)
    message = calendar.message_on(day)
    base = _wall_pieces(_base_slots(calendar, day), day)
    cut = [
        closure
        for closure in calendar.closures
        if any(closure.start < end and closure.end > start for start, end in base)
    ]
    if slots:
        opening = calendar.opening_on(day)
        notes = [opening.note] if opening else []
        return Day(day, slots, Reason.OPEN, _join(notes + [c.note for c in cut]), message)
    whole = next((c for c in calendar.closures if c.covers_day(day)), None)
    if whole is not None:
        return Day(day, (), Reason.CLOSURE, whole.note, message)
    if base:
        return Day(day, (), Reason.CLOSURE, _join([c.note for c in cut]), message)
    holiday = calendar.holiday_on(day)
    if holiday:
        return Day(day, (), Reason.HOLIDAY, holiday, message)
    return Day(day, (), Reason.WEEKEND, "", message)


def _join(notes: list[str]) -> str:
    return "; ".join(note for note in notes if note)


# --- moments -------------------------------------------------------------------------------


def _periods(calendar: Calendar, first_day: date) -> Iterator[Interval]:
    """Open stretches from ``first_day`` on, in order; slots that touch (across midnight too,
    for a line open around the clock) form one stretch."""
    pending: Interval | None = None
    for_good = _open_for_good_from(calendar)
    for offset in range(SEARCH_DAYS):
        day = first_day + offset * _DAY
        if for_good is not None and day >= for_good:
            # Every day from here on is open all day: whatever is open now stays open.  Saying
            # so at once spares a 24/7 line a walk of SEARCH_DAYS days per call.
            midnight = _midnight(calendar, day)
            if pending is not None and pending[1] >= midnight:
                yield (pending[0], _FOREVER)
                return
            if pending is not None:
                yield pending
            yield (midnight, _FOREVER)
            return
        for start, end in _day_intervals(calendar, day):
            if pending is not None and start <= pending[1]:
                pending = (pending[0], max(pending[1], end))
                continue
            if pending is not None:
                yield pending
            pending = (start, end)
    if pending is not None:
        # A stretch still open at the end of the search does not end there: say so.
        horizon = _instant(calendar, datetime.combine(first_day + SEARCH_DAYS * _DAY, time(0)))
        yield (pending[0], _FOREVER if pending[1] >= horizon else pending[1])


def _open_for_good_from(calendar: Calendar) -> date | None:
    """The first date from which every day is open all day for sure, if there is one: the
    weekly schedule covers every hour of the week, no public holidays apply, and no closure or
    exceptional opening lies ahead of it."""
    if calendar.public_holidays is not None:
        return None
    if not _covers_the_week(calendar.weekly):
        return None
    later = [closure.end.date() + _DAY for closure in calendar.closures]
    later += [opening.date + _DAY for opening in calendar.openings]
    return max(later, default=date.min)


@lru_cache(maxsize=64)
def _covers_the_week(weekly: tuple[tuple[Slot, ...], ...]) -> bool:
    # Cached: it is asked on every status, and a week of slots is cheap to hash.
    return all(_covers_the_day(slots) for slots in weekly)


def _covers_the_day(slots: tuple[Slot, ...]) -> bool:
    reached = timedelta(0)
    for slot in slots:  # sorted, and never overlapping
        if slot.start_offset > reached:
            return False
        reached = max(reached, slot.end_offset)
    return reached >= _DAY


def _sees_for_good(calendar: Calendar, first_day: date) -> bool:
    """Whether :func:`_periods` from ``first_day`` reaches the days open for good (then an
    endless stretch is truly endless, not merely beyond the search horizon)."""
    for_good = _open_for_good_from(calendar)
    return for_good is not None and for_good < first_day + SEARCH_DAYS * _DAY


def _midnight(calendar: Calendar, day: date) -> datetime:
    return _instant(calendar, datetime.combine(day, time(0)))


def _around(calendar: Calendar, at_utc: datetime) -> tuple[Interval | None, Interval | None]:
    """The open stretch holding ``at_utc`` (if any) and the next one after it."""
    current: Interval | None = None
    for period in _periods(calendar, _local_day(calendar, at_utc)):
        if period[1] <= at_utc:
            continue
        if period[0] <= at_utc:
            current = period
            continue
        return current, period
    return current, None


def is_open(calendar: Calendar, at: datetime) -> bool:
    at_utc = _utc(at)
    intervals = _day_intervals(calendar, _local_day(calendar, at_utc))
    return any(start <= at_utc < end for start, end in intervals)


def status(calendar: Calendar, at: datetime) -> Status:
    """Whether the calendar is open at ``at``, why (not), and when that changes."""
    at_utc = _utc(at)
    day = _local_day(calendar, at_utc)
    current, following = _around(calendar, at_utc)
    next_opening = _in_zone(calendar, following[0]) if following else None
    message = calendar.message_on(day)
    # Past the horizon the answer may change at the next midnight, when the horizon moves on.
    horizon = None if _sees_for_good(calendar, day) else _midnight(calendar, day + _DAY)
    if current is not None:
        detail = _opening_note(calendar, day)
        closes_at = None if current[1] == _FOREVER else _in_zone(calendar, current[1])
        end = current[1] if current[1] != _FOREVER else None
        if end is None or following is None:
            end = _earliest(end, horizon)
        until = _open_until(calendar, at_utc, (detail, message), end)
        return Status(True, Reason.OPEN, detail, message, next_opening, closes_at, until)
    reason, detail = _closed_reason(calendar, at_utc, day)
    end = following[0] if following else horizon
    until = _closed_until(calendar, at_utc, (reason, detail, message), end)
    return Status(False, reason, detail, message, next_opening, None, until)


def _opening_note(calendar: Calendar, day: date) -> str:
    opening = calendar.opening_on(day)
    return opening.note if opening else ""


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


def _in_zone_or_none(calendar: Calendar, moment: datetime | None) -> datetime | None:
    return None if moment is None else _in_zone(calendar, moment)


def _open_until(
    calendar: Calendar, at_utc: datetime, now: tuple[str, str | None], end: datetime | None
) -> datetime | None:
    """When an open status changes: at the end of its stretch (``end``), or before, at the
    first midnight where the opening's note or the date's message differs."""
    dates = {o.date for o in calendar.openings} | {m.date for m in calendar.messages}
    today = _local_day(calendar, at_utc)
    # Only the dates with an opening or a message, and the day after each, can differ.
    for day in sorted({d for d in dates | {d + _DAY for d in dates} if d > today}):
        midnight = _midnight(calendar, day)
        if end is not None and midnight >= end:
            break
        if midnight > at_utc and (_opening_note(calendar, day), calendar.message_on(day)) != now:
            return _in_zone(calendar, midnight)
    return _in_zone_or_none(calendar, end)


def _closed_until(
    calendar: Calendar,
    at_utc: datetime,
    now: tuple[Reason, str, str | None],
    end: datetime | None,
) -> datetime | None:
    """When a closed status changes: when it opens (``end``), or before, where the reason,
    its detail or the message changes: at a closure's bounds or at a midnight (the next day
    may be a weekend day or a holiday)."""
    if end is None:  # not reached: a closed status without an opening has a horizon
        return None
    candidates = {
        bound
        for closure in calendar.closures
        for bound in (_instant(calendar, closure.start), _instant(calendar, closure.end))
        if at_utc < bound < end
    }
    day = _local_day(calendar, at_utc) + _DAY
    while (midnight := _midnight(calendar, day)) < end:
        candidates.add(midnight)
        day += _DAY
    for moment in sorted(candidates):
        local_day = _local_day(calendar, moment)
        then = (*_closed_reason(calendar, moment, local_day), calendar.message_on(local_day))
        if then != now:
            return _in_zone(calendar, moment)
    return _in_zone(calendar, end)


def _closed_reason(calendar: Calendar, at_utc: datetime, day: date) -> tuple[Reason, str]:
    for closure in calendar.closures:
        if _instant(calendar, closure.start) <= at_utc < _instant(calendar, closure.end):
            return Reason.CLOSURE, closure.note
    if calendar.opening_on(day) is None:
        holiday = calendar.holiday_on(day)
        if holiday:
            return Reason.HOLIDAY, holiday
        if not calendar.weekly[day.weekday()]:
            return Reason.WEEKEND, ""
    return Reason.OUTSIDE_HOURS, ""


def next_opening(calendar: Calendar, at: datetime) -> datetime | None:
    """When the calendar next opens after ``at``: the start of the next open stretch, after
    the current one if it is open now."""
    _, following = _around(calendar, _utc(at))
    return _in_zone(calendar, following[0]) if following else None


def next_close(calendar: Calendar, at: datetime) -> datetime | None:
    """When the calendar next closes: the end of the current open stretch, or of the next one
    when closed now."""
    current, following = _around(calendar, _utc(at))
    stretch = current or following
    if stretch is None or stretch[1] == _FOREVER:
        return None
    return _in_zone(calendar, stretch[1])


# --- working days --------------------------------------------------------------------------


def add_working_days(calendar: Calendar, at: datetime, n: int) -> datetime:
    """The same wall-clock time ``n`` working days after ``at``'s date: Monday 10:00 + 2 is
    Wednesday 10:00; Friday 17:00 + 1 is Monday 17:00 (or Tuesday after an Easter Monday);
    Saturday 10:00 + 1 is Monday 10:00.  ``n`` = 0 gives ``at`` itself.

    The inverse of :func:`working_days_between`: ``working_days_between(c, at,
    add_working_days(c, at, n)) == n``.
    """
    at_utc = _utc(at)
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    local = _in_zone(calendar, at_utc)
    day = local.date()
    for _ in range(n):
        day = _next_working_day(calendar, day)
    if day == local.date():
        return local
    # Round trip through UTC so a time inside a spring-forward gap becomes a real instant.
    return _in_zone(calendar, _instant(calendar, datetime.combine(day, local.time())))


def _next_working_day(calendar: Calendar, day: date) -> date:
    for offset in range(1, SEARCH_DAYS + 1):
        candidate = day + offset * _DAY
        if is_working_day(calendar, candidate):
            return candidate
    raise ValueError(
        f"calendar {calendar.name!r} has no working day within {SEARCH_DAYS} days after {day}"
    )


def working_days_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """How many working days lie after ``start``'s date up to and including ``end``'s date
    (negative when ``end`` is earlier): a contact from Friday answered on Tuesday, with a
    holiday on Monday, took 1 working day."""
    first = _local_day(calendar, _utc(start, "start"))
    last = _local_day(calendar, _utc(end, "end"))
    if last < first:
        return -working_days_between(calendar, end, start)
    return sum(
        is_working_day(calendar, first + offset * _DAY)
        for offset in range(1, (last - first).days + 1)
    )
