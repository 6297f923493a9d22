"""Callback schedule maths: deadlines in working days, when to try again, how urgent a callback
is, when it is calm enough to place one, and what an attempt (or a crash) leaves behind.

Pure functions over plain data: the caller reads the clock once and passes ``now`` down; the
store applies what these return with conditional updates.  Every time returned is in UTC.

Priority scale (:func:`priority`): the same integers as a live contact's priority (higher is
served first, live contacts are 0 unless a routing step raises them).  A callback keeps its base
priority (0 by default) until its last day, so among equals it is served by age, counted from
``requested_at``, against live callers' waiting time: a callback does not jump over a live
caller who has waited longer.  In the last :data:`URGENCY` hours before the deadline it gains
1, 2, then 3.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from callbacks.model import Attempt, AttemptResult, Callback, CallbackStatus
from foundation.calendars import (
    Calendar,
    add_working_days,
    effective_slots,
    is_open,
    is_working_day,
    next_opening,
)

# (time left before the deadline, priority added), most urgent last.  24 h before the close of
# the last working day is (for a line with the same hours every day) the previous day's close:
# the whole last working day is urgent, and it grows towards its end.
URGENCY: tuple[tuple[timedelta, int], ...] = (
    (timedelta(hours=24), 1),
    (timedelta(hours=4), 2),
    (timedelta(hours=1), 3),
)
MAX_URGENCY = URGENCY[-1][1]


@dataclass(frozen=True, slots=True)
class CalmThresholds:
    """When a line code is calm enough for callbacks: at most ``max_waiting`` live callers
    wait for it and at least ``min_idle_agents`` eligible agents are idle.  The first
    ``min_idle_agents - 1`` idle agents stay free for live callers."""

    max_waiting: int = 0
    min_idle_agents: int = 1

    def __post_init__(self) -> None:
        if self.max_waiting < 0:
            raise ValueError(f"max_waiting must be 0 or more, not {self.max_waiting}")
        if self.min_idle_agents < 1:
            raise ValueError(f"min_idle_agents must be 1 or more, not {self.min_idle_agents}")


@dataclass(frozen=True, slots=True)
class CallbackRules:
    """A line's callback rules, with the calendar its deadlines and attempts follow."""

    calendar: Calendar
    working_days: int = 2
    max_attempts: int = 3
    min_gap: timedelta = timedelta(hours=1)
    calm: CalmThresholds = CalmThresholds()

    def __post_init__(self) -> None:
        if self.working_days < 0:
            raise ValueError(f"working_days must be 0 or more, not {self.working_days}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, not {self.max_attempts}")
        if self.min_gap < timedelta(0):
            raise ValueError(f"min_gap must not be negative, not {self.min_gap}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a callback goes after an attempt or a restart.  ``next_attempt_at`` and
    ``reason`` replace the stored values."""

    status: CallbackStatus
    next_attempt_at: datetime | None = None
    reason: str | None = None

    @property
    def final(self) -> bool:
        return not self.status.is_open


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got {at}")
    return at.astimezone(UTC)


# --- deadline and retries ------------------------------------------------------------------


def due_by(calendar: Calendar, requested_at: datetime, working_days: int) -> datetime:
    """The close of the ``working_days``-th working day after the request's date: requested
    Friday 18:50 with 2 working days, due by Tuesday's close (Monday's, then Tuesday's; a
    holiday in between pushes it on).  With 0, the close of the request's day, or of the next
    working day when that day has no hours."""
    requested = _aware(requested_at, "requested_at")
    if working_days < 0:
        raise ValueError(f"working_days must be 0 or more, not {working_days}")
    day = add_working_days(calendar, requested, working_days).date()
    if working_days == 0 and not is_working_day(calendar, day):
        day = add_working_days(calendar, requested, 1).date()
    last = effective_slots(calendar, day)[-1]
    # Wall-clock end in the calendar's zone (19:00 stays 19:00 across a DST change).
    close = datetime.combine(day, time(0)) + last.end_offset
    return close.replace(tzinfo=calendar.timezone).astimezone(UTC)


def open_at_or_after(calendar: Calendar, at: datetime) -> datetime | None:
    """``at`` itself if the calendar is open then, else its next opening (None if none)."""
    at = _aware(at, "at")
    if is_open(calendar, at):
        return at
    opening = next_opening(calendar, at)
    return None if opening is None else opening.astimezone(UTC)


def reschedule_refusal(calendar: Calendar, at: datetime, due_by: datetime) -> str | None:
    """Why a callback due by ``due_by`` cannot be moved to ``at`` on a line following
    ``calendar``, or None.  The dialer never dials a closed line, so a time outside opening
    hours means the next opening; refused only when that opening is at or after the deadline
    (the callback would expire untried)."""
    opening = open_at_or_after(calendar, at)
    zone = calendar.timezone
    deadline = f"{due_by.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"
    if opening is None:
        return f"the line does not open again after then; the callback is due by {deadline}"
    if opening >= due_by and opening == at.astimezone(UTC):
        return f"that is after the callback's deadline {deadline}"
    if opening >= due_by:
        return (
            f"the line is closed then and opens next at "
            f"{opening.astimezone(zone):%Y-%m-%d %H:%M}, after the callback's deadline {deadline}"
        )
    return None


def next_attempt_at(
    callback: Callback, calendar: Calendar, now: datetime, min_gap_s: float
) -> datetime | None:
    """The earliest moment for the next attempt: at least ``min_gap_s`` after the end of the
    last attempt that rang the citizen, never before ``now``, inside opening hours.  None when
    the calendar never opens again (within :data:`foundation.calendars.SEARCH_DAYS`).

    Attempts that did not ring the citizen (no agent after all, an engine restart) leave no gap:
    the citizen has not been bothered yet.
    """
    now = _aware(now, "now")
    earliest = now
    rang = [a for a in callback.attempts if a.result is not None and a.result.counts]
    if rang:
        last = rang[-1]
        gap_from = _aware(last.ended_at or last.started_at, "ended_at")
        earliest = max(now, gap_from + timedelta(seconds=min_gap_s))
    return open_at_or_after(calendar, earliest)


def priority(callback: Callback, now: datetime) -> int:
    """The callback's base priority plus the urgency of its deadline (see the module doc)."""
    left = _aware(callback.due_by, "due_by") - _aware(now, "now")
    urgency = 0
    for threshold, value in URGENCY:
        if left <= threshold:
            urgency = value
    return callback.priority + urgency


# --- calm moments --------------------------------------------------------------------------


def is_calm(
    waiting_live_contacts: int, idle_eligible_agents: int, thresholds: CalmThresholds
) -> bool:
    """Calm enough for a callback of a line code: few enough live callers waiting for it and
    enough of its eligible agents idle."""
    return (
        waiting_live_contacts <= thresholds.max_waiting
        and idle_eligible_agents >= thresholds.min_idle_agents
    )


def how_many_to_release(
    idle_eligible_agents: int, dialing_now: int, thresholds: CalmThresholds
) -> int:
    """How many more callbacks to start dialling now.

    ``idle_eligible_agents`` are idle agents not yet reserved; ``dialing_now`` are callbacks
    being dialled whose agent is not reserved yet (each will take one of those idle agents).
    Never more than the idle agents left over, keeping ``min_idle_agents - 1`` of them for live
    callers; 0 when not calm (checked by the caller with :func:`is_calm`).
    """
    spare = idle_eligible_agents - (thresholds.min_idle_agents - 1) - max(dialing_now, 0)
    return max(0, min(spare, idle_eligible_agents))


# --- transitions ---------------------------------------------------------------------------


def after_attempt(
    callback: Callback, result: AttemptResult, now: datetime, rules: CallbackRules
) -> Outcome:
    """Where a dialing callback goes when its attempt under way ends with ``result``.

    Answered: completed.  Past the deadline: expired.  Not reached because of us: pending again
    at once.  Busy, no answer or failed: pending again at the next allowed moment, or final
    (no_answer, or failed when no attempt ever reached the phone) once ``max_attempts`` tries
    are used; expired when the next try would come after the deadline.
    """
    now = _aware(now, "now")
    if result is AttemptResult.ANSWERED:
        return Outcome(CallbackStatus.COMPLETED)
    due = _aware(callback.due_by, "due_by")
    if now >= due:
        return Outcome(CallbackStatus.EXPIRED, reason=f"deadline {_iso(due)} passed ({result})")
    if not result.counts:
        return Outcome(CallbackStatus.PENDING, next_attempt_at=None)
    ended = _with_result(callback, result, now)
    results = [a.result for a in ended.attempts if a.result is not None and a.result.counts]
    tries = f"{len(results)} of {rules.max_attempts} attempts"
    if len(results) >= rules.max_attempts:
        status = (
            CallbackStatus.FAILED
            if all(r is AttemptResult.FAILED for r in results)
            else CallbackStatus.NO_ANSWER
        )
        return Outcome(status, reason=f"{tries} made, none answered: {', '.join(results)}")
    following = next_attempt_at(ended, rules.calendar, now, rules.min_gap.total_seconds())
    if following is None or following >= due:
        return Outcome(
            CallbackStatus.EXPIRED,
            reason=f"{tries} made ({', '.join(results)}); no time left for the next before the"
            f" deadline {_iso(due)}",
        )
    return Outcome(CallbackStatus.PENDING, next_attempt_at=following)


def resolve_after_crash(callback: Callback, now: datetime) -> Outcome | None:
    """What to do with a callback found ``dialing`` at start (or left by a node that died):
    its attempt is closed as interrupted and it is dialled again (pending, at once), unless its
    deadline passed (expired).  None for a callback that is not dialing."""
    if callback.status is not CallbackStatus.DIALING:
        return None
    due = _aware(callback.due_by, "due_by")
    if _aware(now, "now") >= due:
        return Outcome(
            CallbackStatus.EXPIRED,
            reason=f"deadline {_iso(due)} passed while an interrupted attempt was pending",
        )
    return Outcome(CallbackStatus.PENDING, next_attempt_at=None)


def expire(callback: Callback, now: datetime) -> Outcome | None:
    """A pending callback whose deadline has passed: expired.  None for any other."""
    if callback.status is not CallbackStatus.PENDING or _aware(now, "now") < callback.due_by:
        return None
    return Outcome(CallbackStatus.EXPIRED, reason=expired_reason(callback.due_by))


def expired_reason(due: datetime) -> str:
    return f"deadline {_iso(_aware(due, 'due_by'))} passed before the citizen was reached"


def _with_result(callback: Callback, result: AttemptResult, now: datetime) -> Callback:
    """The callback with its attempt under way ended as ``result`` (or one added, if none is
    under way, so a caller that lost track of the attempt still gets the count right)."""
    current = callback.current_attempt
    if current is None:
        added = Attempt(seq=len(callback.attempts) + 1, started_at=now, ended_at=now, result=result)
        return replace(callback, attempts=(*callback.attempts, added))
    ended = replace(current, ended_at=now, result=result)
    return replace(callback, attempts=(*callback.attempts[:-1], ended))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
