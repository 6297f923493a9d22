"""The callback schedule maths, from tables: deadlines in working days, the next attempt,
urgency, calm moments, and where attempts and crashes leave a callback."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from acd.settings import CallbackSettings
from callbacks import (
    Attempt,
    AttemptResult,
    Callback,
    CallbackStatus,
)
from callbacks.schedule import (
    MAX_URGENCY,
    CallbackRules,
    CalmThresholds,
    Outcome,
    after_attempt,
    due_by,
    expire,
    how_many_to_release,
    is_calm,
    next_attempt_at,
    priority,
    reschedule_refusal,
    resolve_after_crash,
)
from foundation.calendars import Calendar, Closure, standard_calendar

pytestmark = pytest.mark.unit  # pure (the folder's default is component)

BRUSSELS = ZoneInfo("Europe/Brussels")
STANDARD = standard_calendar()  # Monday to Friday 09:00-19:00, Belgian holidays
# Monday 5 April 2027 closes at 13:00 (a staff meeting).
SHORT_MONDAY = replace(
    STANDARD,
    closures=(Closure(datetime(2027, 4, 5, 13), datetime(2027, 4, 5, 19), "meeting"),),
)

R = AttemptResult
S = CallbackStatus


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


# --- deadlines -----------------------------------------------------------------------------

DUE_BY = [
    # (calendar, requested at (Brussels), working days, due by (Brussels))
    # The example: Friday evening, due by the following Tuesday's close.
    (STANDARD, "2027-04-02T18:50", 2, "2027-04-06T19:00"),
    # Easter Monday (29 March 2027) is skipped; the clocks go forward on the Sunday between.
    (STANDARD, "2027-03-26T18:50", 2, "2027-03-31T19:00"),
    (STANDARD, "2027-03-30T10:00", 2, "2027-04-01T19:00"),
    (STANDARD, "2027-03-30T08:00", 2, "2027-04-01T19:00"),  # before opening: same rule
    (STANDARD, "2027-04-03T12:00", 2, "2027-04-06T19:00"),  # Saturday: Monday, Tuesday
    (STANDARD, "2027-04-02T18:50", 1, "2027-04-05T19:00"),
    (STANDARD, "2027-03-30T10:00", 0, "2027-03-30T19:00"),
    (STANDARD, "2027-04-03T12:00", 0, "2027-04-05T19:00"),  # no hours that day: the next
    (SHORT_MONDAY, "2027-04-02T18:50", 1, "2027-04-05T13:00"),  # the closure cuts the day
    (STANDARD, "2027-10-29T12:00", 1, "2027-11-02T19:00"),  # DST ends, All Saints' Day
]


@pytest.mark.parametrize(("calendar", "requested", "days", "due"), DUE_BY)
def test_due_by(calendar: Calendar, requested: str, days: int, due: str) -> None:
    found = due_by(calendar, local(requested), days)
    assert found == local(due)
    assert found.tzinfo is UTC


def test_due_by_refuses_naive_times_and_negative_days() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_by(STANDARD, datetime(2027, 3, 30, 10), 2)
    with pytest.raises(ValueError, match="0 or more"):
        due_by(STANDARD, local("2027-03-30T10:00"), -1)


# --- next attempt --------------------------------------------------------------------------


def callback(*attempts: Attempt, due: str = "2027-04-01T19:00", base: int = 0) -> Callback:
    return Callback(
        id="cb",
        number="+3247000000",
        line="1700",
        line_code="1700 Andere Vragen",
        contact_id="c1",
        requested_at=local("2027-03-30T09:30"),
        due_by=local(due),
        status=S.DIALING if attempts and attempts[-1].under_way else S.PENDING,
        priority=base,
        attempts=attempts,
    )


def ended(seq: int, at: str, result: AttemptResult) -> Attempt:
    return Attempt(seq, local(at) - timedelta(seconds=30), local(at), result)


def ringing(seq: int, at: str) -> Attempt:
    return Attempt(seq, local(at))


NEXT_ATTEMPT = [
    # (attempts, now, expected)
    ((), "2027-03-30T10:00", "2027-03-30T10:00"),
    ((), "2027-03-30T20:00", "2027-03-31T09:00"),  # closed: the next opening
    ((ended(1, "2027-03-30T10:00", R.BUSY),), "2027-03-30T10:01", "2027-03-30T11:00"),
    ((ended(1, "2027-03-30T10:00", R.BUSY),), "2027-03-30T12:00", "2027-03-30T12:00"),
    ((ended(1, "2027-03-30T18:30", R.NO_ANSWER),), "2027-03-30T18:31", "2027-03-31T09:00"),
    # Attempts that never rang the citizen leave no gap ...
    ((ended(1, "2027-03-30T10:00", R.AGENT_UNAVAILABLE),), "2027-03-30T10:01", "2027-03-30T10:01"),
    ((ended(1, "2027-03-30T10:00", R.INTERRUPTED),), "2027-03-30T10:01", "2027-03-30T10:01"),
    # ... but do not hide the one that did.
    (
        (
            ended(1, "2027-03-30T10:00", R.FAILED),
            ended(2, "2027-03-30T10:05", R.AGENT_UNAVAILABLE),
        ),
        "2027-03-30T10:06",
        "2027-03-30T11:00",
    ),
]


@pytest.mark.parametrize(("attempts", "now", "expected"), NEXT_ATTEMPT)
def test_next_attempt_at(attempts: tuple[Attempt, ...], now: str, expected: str) -> None:
    found = next_attempt_at(callback(*attempts), STANDARD, local(now), 3600)
    assert found == local(expected)


def test_next_attempt_is_none_when_the_calendar_never_opens() -> None:
    never = Calendar("never", BRUSSELS)
    assert next_attempt_at(callback(), never, local("2027-03-30T10:00"), 3600) is None


# --- reschedule ----------------------------------------------------------------------------

# A callback due by Monday 5 April 2027 12:00 (Easter Monday 2027 is 29 March: a working day).
RESCHEDULE = [
    # (calendar, to (Brussels), refused because)
    (STANDARD, "2027-04-02T10:00", None),  # open then
    (STANDARD, "2027-04-02T20:00", None),  # closed: tried Monday 09:00, before noon
    (SHORT_MONDAY, "2027-04-05T11:59", None),
    (
        STANDARD,
        "2027-04-05T12:30",
        "that is after the callback's deadline 2027-04-05 12:00 (Europe/Brussels)",
    ),
    (
        replace(STANDARD, closures=(Closure(datetime(2027, 4, 5), datetime(2027, 4, 6), "x"),)),
        "2027-04-02T20:00",
        "opens next at 2027-04-06 09:00, after the callback's deadline 2027-04-05 12:00",
    ),
    (Calendar("never", BRUSSELS), "2027-04-02T10:00", "does not open again"),
]


@pytest.mark.parametrize(("calendar", "to", "because"), RESCHEDULE)
def test_reschedule_outside_hours_means_the_next_opening(
    calendar: Calendar, to: str, because: str | None
) -> None:
    refusal = reschedule_refusal(calendar, local(to), local("2027-04-05T12:00"))
    if because is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert because in refusal


# --- urgency -------------------------------------------------------------------------------

PRIORITY = [
    # (time left before the deadline, base priority, expected)
    (timedelta(hours=48), 0, 0),
    (timedelta(hours=24, seconds=1), 0, 0),
    (timedelta(hours=24), 0, 1),  # the previous day's close: the last working day begins
    (timedelta(hours=5), 0, 1),
    (timedelta(hours=4), 0, 2),
    (timedelta(minutes=30), 0, 3),
    (timedelta(0), 0, MAX_URGENCY),
    (-timedelta(hours=1), 0, MAX_URGENCY),
    (timedelta(hours=48), 2, 2),  # a base priority (the contact's) is kept
    (timedelta(hours=4), 2, 4),
]


@pytest.mark.parametrize(("left", "base", "expected"), PRIORITY)
def test_priority(left: timedelta, base: int, expected: int) -> None:
    due = callback(base=base)
    assert priority(due, due.due_by - left) == expected


# --- calm moments --------------------------------------------------------------------------

CALM = [
    # (waiting live contacts, idle eligible agents, thresholds, calm?)
    (0, 1, CalmThresholds(), True),
    (1, 3, CalmThresholds(), False),  # a live caller waits: never a callback first
    (0, 0, CalmThresholds(), False),
    (2, 3, CalmThresholds(max_waiting=2), True),
    (3, 3, CalmThresholds(max_waiting=2), False),
    (0, 1, CalmThresholds(min_idle_agents=2), False),
    (0, 2, CalmThresholds(min_idle_agents=2), True),
]


@pytest.mark.parametrize(("waiting", "idle", "thresholds", "calm"), CALM)
def test_is_calm(waiting: int, idle: int, thresholds: CalmThresholds, calm: bool) -> None:
    assert is_calm(waiting, idle, thresholds) is calm


RELEASE = [
    # (idle eligible agents, callbacks dialling without an agent yet, thresholds, release)
    (1, 0, CalmThresholds(), 1),
    (3, 0, CalmThresholds(), 3),
    (3, 1, CalmThresholds(), 2),
    (3, 5, CalmThresholds(), 0),
    (0, 0, CalmThresholds(), 0),
    (3, 0, CalmThresholds(min_idle_agents=2), 2),  # one stays free for live callers
    (2, 1, CalmThresholds(min_idle_agents=2), 0),
    (4, -1, CalmThresholds(), 4),  # a nonsense count never releases more than idle agents
]


@pytest.mark.parametrize(("idle", "dialing", "thresholds", "expected"), RELEASE)
def test_how_many_to_release(
    idle: int, dialing: int, thresholds: CalmThresholds, expected: int
) -> None:
    released = how_many_to_release(idle, dialing, thresholds)
    assert released == expected
    assert 0 <= released <= idle


def test_thresholds_and_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="max_waiting"):
        CalmThresholds(max_waiting=-1)
    with pytest.raises(ValueError, match="min_idle_agents"):
        CalmThresholds(min_idle_agents=0)
    with pytest.raises(ValueError, match="max_attempts"):
        CallbackRules(STANDARD, max_attempts=0)
    with pytest.raises(ValueError, match="working_days"):
        CallbackRules(STANDARD, working_days=-1)
    with pytest.raises(ValueError, match="min_gap"):
        CallbackRules(STANDARD, min_gap=-timedelta(seconds=1))


# --- after an attempt ----------------------------------------------------------------------

RULES = CallbackRules(STANDARD, max_attempts=3, min_gap=timedelta(hours=1))
FIRST_RINGING = (ringing(1, "2027-03-30T10:00"),)
THIRD_RINGING = (
    ended(1, "2027-03-30T10:00", R.BUSY),
    ended(2, "2027-03-30T11:00", R.NO_ANSWER),
    ringing(3, "2027-03-30T12:00"),
)
FAILED_TWICE = (
    ended(1, "2027-03-30T10:00", R.FAILED),
    ended(2, "2027-03-30T11:00", R.FAILED),
    ringing(3, "2027-03-30T12:00"),
)
AFTER_RESTARTS = (
    ended(1, "2027-03-30T10:00", R.INTERRUPTED),
    ended(2, "2027-03-30T10:10", R.BUSY),
    ended(3, "2027-03-30T11:10", R.AGENT_UNAVAILABLE),
    ringing(4, "2027-03-30T11:20"),
)

AFTER_ATTEMPT = [
    # (attempts, result, now, expected status, next attempt (Brussels) or None)
    (FIRST_RINGING, R.ANSWERED, "2027-03-30T10:01", S.COMPLETED, None),
    (FIRST_RINGING, R.BUSY, "2027-03-30T10:01", S.PENDING, "2027-03-30T11:01"),
    (FIRST_RINGING, R.NO_ANSWER, "2027-03-30T18:30", S.PENDING, "2027-03-31T09:00"),
    (FIRST_RINGING, R.AGENT_UNAVAILABLE, "2027-03-30T10:01", S.PENDING, None),
    (FIRST_RINGING, R.INTERRUPTED, "2027-03-30T10:01", S.PENDING, None),
    (THIRD_RINGING, R.NO_ANSWER, "2027-03-30T12:01", S.NO_ANSWER, None),
    (THIRD_RINGING, R.ANSWERED, "2027-03-30T12:01", S.COMPLETED, None),
    (FAILED_TWICE, R.FAILED, "2027-03-30T12:01", S.FAILED, None),
    (FAILED_TWICE, R.BUSY, "2027-03-30T12:01", S.NO_ANSWER, None),
    # Only two of the four attempts used the citizen's tries.
    (AFTER_RESTARTS, R.NO_ANSWER, "2027-03-30T11:21", S.PENDING, "2027-03-30T12:21"),
    # At or past the deadline, or with no time left for another try before it.
    (FIRST_RINGING, R.NO_ANSWER, "2027-04-01T19:00", S.EXPIRED, None),
    (FIRST_RINGING, R.AGENT_UNAVAILABLE, "2027-04-01T19:05", S.EXPIRED, None),
    (FIRST_RINGING, R.BUSY, "2027-04-01T18:10", S.EXPIRED, None),
    (FIRST_RINGING, R.BUSY, "2027-04-01T17:59", S.PENDING, "2027-04-01T18:59"),
]


@pytest.mark.parametrize(("attempts", "result", "now", "status", "following"), AFTER_ATTEMPT)
def test_after_attempt(
    attempts: tuple[Attempt, ...],
    result: AttemptResult,
    now: str,
    status: CallbackStatus,
    following: str | None,
) -> None:
    outcome = after_attempt(callback(*attempts), result, local(now), RULES)
    assert outcome.status is status
    assert outcome.next_attempt_at == (local(following) if following else None)
    assert outcome.final is not status.is_open
    # A reason for every end but the happy one, for supervisors.
    assert bool(outcome.reason) is (outcome.final and status is not S.COMPLETED)


def test_the_reason_lists_the_attempts() -> None:
    outcome = after_attempt(callback(*THIRD_RINGING), R.NO_ANSWER, local("2027-03-30T12:01"), RULES)
    assert outcome.reason == "3 of 3 attempts made, none answered: busy, no_answer, no_answer"


def test_an_attempt_that_was_lost_track_of_still_counts() -> None:
    two_tries = (
        ended(1, "2027-03-30T10:00", R.BUSY),
        ended(2, "2027-03-30T11:00", R.BUSY),
    )
    outcome = after_attempt(callback(*two_tries), R.BUSY, local("2027-03-30T12:01"), RULES)
    assert outcome.status is S.NO_ANSWER


# --- crashes and deadlines -----------------------------------------------------------------

CRASH = [
    # (status before, now, outcome)
    (S.DIALING, "2027-03-30T10:05", Outcome(S.PENDING)),
    (S.DIALING, "2027-04-01T19:00", S.EXPIRED),
    (S.PENDING, "2027-03-30T10:05", None),
    (S.COMPLETED, "2027-03-30T10:05", None),
]


@pytest.mark.parametrize(("before", "now", "expected"), CRASH)
def test_resolve_after_crash(
    before: CallbackStatus, now: str, expected: Outcome | CallbackStatus | None
) -> None:
    found = resolve_after_crash(replace(callback(*FIRST_RINGING), status=before), local(now))
    if isinstance(expected, CallbackStatus):
        assert found is not None
        assert found.status is expected
        assert "deadline" in (found.reason or "")
    else:
        assert found == expected


EXPIRE = [
    (S.PENDING, "2027-04-01T19:00", S.EXPIRED),
    (S.PENDING, "2027-04-01T18:59", None),
    (S.DIALING, "2027-04-01T19:30", None),  # its attempt's end decides
    (S.COMPLETED, "2027-04-02T10:00", None),
]


@pytest.mark.parametrize(("before", "now", "expected"), EXPIRE)
def test_expire(before: CallbackStatus, now: str, expected: CallbackStatus | None) -> None:
    found = expire(replace(callback(), status=before), local(now))
    assert (found.status if found else None) is expected


def test_overdue_means_open_past_the_deadline() -> None:
    due = callback()
    assert not due.overdue(due.due_by - timedelta(seconds=1))
    assert due.overdue(due.due_by)
    assert not replace(due, status=S.COMPLETED).overdue(due.due_by)


def test_rules_from_a_line_s_settings() -> None:
    options = CallbackSettings(
        working_days=3, max_attempts=4, min_gap_s=1800, calm_max_waiting=1, calm_min_idle_agents=2
    )
    assert options.rules(STANDARD) == CallbackRules(
        STANDARD, 3, 4, timedelta(minutes=30), CalmThresholds(max_waiting=1, min_idle_agents=2)
    )


def test_completed_within_deadline() -> None:
    due = callback()
    done = replace(due, status=S.COMPLETED, closed_at=due.due_by)
    assert done.completed_within_deadline
    assert not replace(done, closed_at=due.due_by + timedelta(seconds=1)).completed_within_deadline
    assert not replace(due, status=S.EXPIRED, closed_at=due.due_by).completed_within_deadline
