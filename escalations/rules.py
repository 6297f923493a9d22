"""What an agent may do with an escalation point at a moment: pure functions, no clock.

The caller reads the time once, at the edge, and passes it in as ``at`` (aware).  A point is
first taken *as of* the local date (:func:`as_of`): scheduled changes due by then applied,
deviating availability that ended before then dropped.  Its phone reachability is then a
:class:`~foundation.calendars.Calendar` (:func:`reachability`) — weekly slots, Belgian public
holidays, deviating dates as closures (or as the only slots of those dates) — so windows,
"next window" and daylight-saving changes follow the same rules as a line's opening hours.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from escalations.model import TIMEZONE, EscalationPoint
from foundation.calendars import (
    WEEKDAYS,
    Calendar,
    Closure,
    Opening,
    PublicHolidays,
    add_working_days,
    next_close,
    standard_calendar,
    status,
)

# Working days for handling terms: Monday to Friday without Belgian public holidays, whatever
# the point's phone hours (a point reachable by phone on Mondays only still works all week).
WORKING_DAYS = standard_calendar("working days")


class Refusal(StrEnum):
    """Why a phone transfer is not possible now (stable ids for the API and metrics)."""

    NO_PHONE_NUMBER = "no_phone_number"
    NOT_ALLOWED = "transfer_not_allowed"
    DEVIATING_DATE = "deviating_availability"
    OUTSIDE_SLOTS = "outside_reachability"


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch in which the point may be called, in Europe/Brussels time."""

    start: datetime
    end: datetime | None  # None: open beyond the calendars' search horizon


@dataclass(frozen=True, slots=True)
class TransferCheck:
    """A phone transfer at one moment: possible, or why not.

    ``message`` says it in a sentence for the agent; ``deviation_text`` is the point's own
    text for the caller on a deviating date; ``next_window`` is the next stretch in which a
    transfer would be possible (None when there is none, or the transfer is never allowed);
    ``weekly`` lists the reachability slots per weekday (``{"mon": ["09:00-12:00"], ...}``).
    """

    possible: bool
    reason: Refusal | None
    message: str
    deviation_text: str | None = None
    next_window: Window | None = None
    weekly: dict[str, list[str]] | None = None


@dataclass(frozen=True, slots=True)
class PointOptions:
    """One escalation point for the agent's call: what may be done with it now."""

    point: EscalationPoint  # as of the moment asked (changes applied, old deviations gone)
    transfer: TransferCheck
    may_give_number: bool
    may_send_email: bool
    may_give_email: bool

    @property
    def instructions(self) -> str:
        return self.point.instructions


def local_day(at: datetime) -> date:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be an aware datetime (with a time zone), got {at}")
    return at.astimezone(TIMEZONE).date()


def as_of(point: EscalationPoint, day: date) -> EscalationPoint:
    """The point as it stands on ``day``: scheduled changes on or before it applied in date
    order (and no longer listed), deviating availability that ended before it removed."""
    current = point
    pending = []
    for change in point.scheduled_changes:
        if change.on <= day:
            current = current.with_changes(change.changes)
        else:
            pending.append(change)
    kept = tuple(d for d in current.deviations if d.end >= day)
    if kept == current.deviations and len(pending) == len(point.scheduled_changes):
        return current
    return replace(current, deviations=kept, scheduled_changes=tuple(pending))


def reachability(point: EscalationPoint) -> Calendar:
    """The point's phone reachability as a calendar: its weekly slots, public holidays if it
    follows them, a deviating date closed (or, with slots, open only in those)."""
    closures = []
    openings = []
    for deviation in point.deviations:
        if deviation.slots:
            day = deviation.start
            while day <= deviation.end:
                openings.append(Opening(day, deviation.slots, deviation.text))
                day += timedelta(days=1)
        else:
            start = datetime.combine(deviation.start, time(0))
            end = datetime.combine(deviation.end + timedelta(days=1), time(0))
            closures.append(Closure(start, end, deviation.text))
    return Calendar(
        name=f"escalation point {point.id}",
        timezone=TIMEZONE,
        weekly=point.reachability,
        public_holidays=PublicHolidays("BE") if point.follows_public_holidays else None,
        closures=tuple(closures),
        openings=tuple(openings),
    )


def weekly_slots(point: EscalationPoint) -> dict[str, list[str]]:
    days = zip(WEEKDAYS, point.reachability, strict=True)
    return {day: [str(s) for s in slots] for day, slots in days}


def check_transfer(point: EscalationPoint, at: datetime) -> TransferCheck:
    """May the agent transfer a caller to ``point`` by phone at ``at``, and if not, why."""
    day = local_day(at)
    point = as_of(point, day)
    if point.phone is None:
        return TransferCheck(
            False,
            Refusal.NO_PHONE_NUMBER,
            f"{point.public_title} has no phone number: escalate by e-mail",
        )
    if not point.transfer_allowed:
        return TransferCheck(
            False,
            Refusal.NOT_ALLOWED,
            f"{point.public_title} does not take phone transfers",
        )
    calendar = reachability(point)
    now = status(calendar, at)
    weekly = weekly_slots(point)
    window = _window(calendar, now.next_opening)
    deviation = next((d for d in point.deviations if d.covers(day)), None)
    if now.open:
        closes = now.closes_at.astimezone(TIMEZONE) if now.closes_at else None
        until = f" until {closes:%H:%M}" if closes and closes.date() == day else ""
        return TransferCheck(
            True,
            None,
            f"{point.public_title} can be reached by phone now{until}",
            deviation.text if deviation else None,
            Window(at.astimezone(TIMEZONE), closes),
            weekly,
        )
    after = f"; next window {_describe(window)}" if window else "; no window ahead"
    if deviation is not None:
        return TransferCheck(
            False,
            Refusal.DEVIATING_DATE,
            f"{point.public_title}: {deviation.text}{after}",
            deviation.text,
            window,
            weekly,
        )
    why = f" ({now.detail})" if now.detail else ""
    return TransferCheck(
        False,
        Refusal.OUTSIDE_SLOTS,
        f"{point.public_title} is outside its phone reachability{why}"
        f" (slots: {_describe_weekly(weekly)}){after}",
        None,
        window,
        weekly,
    )


def options(points: Iterable[EscalationPoint], line_code: str, at: datetime) -> list[PointOptions]:
    """The escalation points of ``line_code`` as of ``at``, each with what may be done now."""
    day = local_day(at)
    found = []
    for point in points:
        current = as_of(point, day)
        if line_code not in current.line_codes:
            continue
        found.append(
            PointOptions(
                current,
                check_transfer(current, at),
                may_give_number=current.phone is not None and current.may_give_number,
                may_send_email=current.email_allowed,
                may_give_email=current.email is not None and current.may_give_email,
            )
        )
    return found


def handling_due(point: EscalationPoint, at: datetime) -> datetime:
    """When the point has promised to contact the caller about a question escalated at
    ``at``: its handling term in working days (the term as of that day)."""
    return add_working_days(WORKING_DAYS, at, as_of(point, local_day(at)).handling_days)


def uncovered_line_codes(
    points: Sequence[EscalationPoint], line_codes: Collection[str]
) -> dict[str, date | None]:
    """Line codes left without an escalation point: each with the date a scheduled change
    leaves it uncovered, or None when it is uncovered as configured.  Checked as configured
    and after every scheduled change, so a future edit cannot orphan a line code unseen."""
    days: list[date | None] = [None]
    days += sorted({c.on for p in points for c in p.scheduled_changes})
    missing: dict[str, date | None] = {}
    for day in days:
        versions = points if day is None else [as_of(p, day) for p in points]
        covered = {code for p in versions for code in p.line_codes}
        for code in line_codes:
            if code not in covered and code not in missing:
                missing[code] = day
    return missing


def _window(calendar: Calendar, opening: datetime | None) -> Window | None:
    if opening is None:
        return None
    end = next_close(calendar, opening)
    return Window(opening.astimezone(TIMEZONE), end.astimezone(TIMEZONE) if end else None)


def _describe(window: Window) -> str:
    start = f"{WEEKDAYS[window.start.weekday()]} {window.start:%Y-%m-%d %H:%M}"
    if window.end is None:
        return f"from {start}"
    same_day = window.end.date() == window.start.date()
    end = f"{window.end:%H:%M}" if same_day else f"{window.end:%Y-%m-%d %H:%M}"
    return f"{start}-{end}"


def _describe_weekly(weekly: dict[str, list[str]]) -> str:
    days = [f"{day} {', '.join(slots)}" for day, slots in weekly.items() if slots]
    return "; ".join(days) if days else "none"
