"""What ``acd hours`` prints: a line's calendar at one moment, or its effective hours for one
ISO week.  Pure text rendering; the CLI reads the clock and the config and prints the result.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from foundation.calendars.model import Calendar
from foundation.calendars.rules import Reason, day_schedule, status

if TYPE_CHECKING:  # acd.settings imports this package; only the type is needed here
    from acd.settings import Settings

_WEEK = re.compile(r"(\d{4})-?W(\d{2})")


def parse_at(text: str) -> datetime:
    """``2027-03-29T10:00`` (wall-clock time in the line's zone, returned naive) or with an
    offset (``2027-03-29T10:00+02:00``, ``...Z``)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time (such as 2027-03-29T10:00)") from None


def parse_week(text: str) -> date:
    """``2027-W13`` -> the Monday of that ISO week."""
    match = _WEEK.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO week (such as 2027-W13)") from None


def hours_at(settings: Settings, line_id: str, at: datetime) -> str:
    """Open or closed at ``at``, why, and the next opening.  A naive ``at`` is wall-clock time
    in the line's calendar zone, as typed on the command line."""
    calendar, header = _line_calendar(settings, line_id)
    if at.tzinfo is None:
        at = at.replace(tzinfo=calendar.timezone)
    at = at.astimezone(calendar.timezone)
    now = status(calendar, at)
    if now.open:
        until = _moment(now.closes_at) if now.closes_at else "further notice"
        state = f"open until {until}" + (f" ({now.detail})" if now.detail else "")
    else:
        state = f"closed ({_reason(now.reason, now.detail, at.date())})"
    lines = [header, f"{_moment(at)}: {state}"]
    if now.message:
        lines.append(f"message: {now.message}")
    opening = _moment(now.next_opening) if now.next_opening else "none in sight"
    lines.append(f"next opening: {opening}")
    return "\n".join(lines)


def hours_week(settings: Settings, line_id: str, monday: date) -> str:
    """The effective slots of each day of the week starting on ``monday``."""
    calendar, header = _line_calendar(settings, line_id)
    year, week, _ = monday.isocalendar()
    lines = [f"{header}, week {year}-W{week:02d}"]
    for offset in range(7):
        day = day_schedule(calendar, monday + timedelta(days=offset))
        label = f"{day.date:%a %Y-%m-%d}"
        if day.slots:
            hours = ", ".join(str(slot) for slot in day.slots)
            lines.append(f"{label}  {hours}" + (f"  ({day.detail})" if day.detail else ""))
        else:
            lines.append(f"{label}  closed ({_reason(day.reason, day.detail, day.date)})")
        if day.message:
            lines.append(f"{'':14}  message: {day.message}")
    return "\n".join(lines)


def _line_calendar(settings: Settings, line_id: str) -> tuple[Calendar, str]:
    line = settings.line_by_id(line_id)
    if line is None:
        known = ", ".join(line.id for line in settings.lines)
        raise ValueError(f"no line {line_id!r} in the config (lines: {known})")
    calendar = settings.line_calendar(line)
    header = f"line {line.id} ({line.name}): calendar {calendar.name} ({calendar.timezone.key})"
    return calendar, header


def _moment(at: datetime) -> str:
    return f"{at:%a %Y-%m-%d %H:%M %Z}"


def _reason(reason: Reason, detail: str, day: date) -> str:
    if reason is Reason.WEEKEND and day.weekday() < 5:
        # WEEKEND means "no weekly slots on this weekday", which on a Friday reads oddly.
        return f"no hours on {day:%A}s"
    words = reason.value.replace("_", " ")
    return f"{words}: {detail}" if detail else words
