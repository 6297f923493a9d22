"""Working-day arithmetic for "a callback within 2 working days" and "a handling term of 5
working days": a table, and the property that the two functions undo each other."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.calendars import (
    Calendar,
    add_working_days,
    effective_slots,
    is_working_day,
    working_days_between,
)
from tests.calendars.conftest import AROUND_THE_CLOCK, BRUSSELS, C1700, at

# start, n, result (ISO with the offset in force on the result's date)
ADD = [
    ("2027-03-22T10:00", 0, "2027-03-22T10:00+01:00"),
    ("2027-03-22T10:00", 2, "2027-03-24T10:00+01:00"),
    # Over the spring DST weekend and Easter Monday: same wall-clock time, new offset.
    ("2027-03-26T17:00", 1, "2027-03-30T17:00+02:00"),
    ("2027-03-27T10:00", 1, "2027-03-30T10:00+02:00"),  # from a Saturday
    ("2027-03-29T10:00", 1, "2027-03-30T10:00+02:00"),  # from the holiday itself
    # The exceptional Saturday opening makes 3 April a working day.
    ("2027-04-02T10:00", 1, "2027-04-03T10:00+02:00"),
    # Ascension Day and the bridge day after it: 5 working days from Wednesday.
    ("2027-05-05T10:00", 5, "2027-05-14T10:00+02:00"),
    ("2026-12-31T12:00", 1, "2027-01-04T12:00+01:00"),  # over New Year
    ("2027-10-29T18:00", 2, "2027-11-03T18:00+01:00"),  # autumn DST, All Saints' Day
    # The Christmas closure leaves Monday 27 December open from 09:00: still a working day.
    ("2027-12-24T10:00", 1, "2027-12-27T10:00+01:00"),
    # The input's zone does not matter, only its instant.
    ("2027-03-22T09:30+00:00", 2, "2027-03-24T10:30+01:00"),
]


@pytest.mark.parametrize(("start", "n", "expected"), ADD)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    result = add_working_days(C1700, at(start), n)
    assert result.isoformat(timespec="minutes") == expected
    assert working_days_between(C1700, at(start), result) == n


def test_a_wall_time_in_the_spring_gap_moves_past_it() -> None:
    result = add_working_days(AROUND_THE_CLOCK, at("2027-03-27T02:30"), 1)
    assert result.isoformat() == "2027-03-28T03:30:00+02:00"


BETWEEN = [
    ("2027-03-26T17:00", "2027-03-30T09:00", 1),  # Friday to Tuesday over Easter Monday
    ("2027-03-30T09:00", "2027-03-26T17:00", -1),
    ("2027-03-22T08:00", "2027-03-22T20:00", 0),  # the same day
    ("2027-03-19T10:00", "2027-03-26T10:00", 5),
    # 21-24 (24 December open until 16:00), 27-31 December, 3 January.
    ("2027-12-20T10:00", "2028-01-03T10:00", 10),
]


@pytest.mark.parametrize(("start", "end", "expected"), BETWEEN)
def test_working_days_between(start: str, end: str, expected: int) -> None:
    assert working_days_between(C1700, at(start), at(end)) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2027, 3, 30), True),
        (date(2027, 4, 3), True),  # exceptional opening on a Saturday
        (date(2027, 4, 4), False),
        (date(2027, 5, 7), False),  # bridge day
        (date(2027, 12, 24), True),  # open until 16:00
        (date(2028, 7, 11), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(C1700, day) is working
    assert bool(effective_slots(C1700, day)) is working


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=20),
)
def test_between_undoes_add(moment: datetime, n: int) -> None:
    result = add_working_days(C1700, moment, n)
    assert working_days_between(C1700, moment, result) == n
    assert result >= moment
    assert result.tzinfo is BRUSSELS


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_working_days(C1700, at("2027-03-22T10:00"), -1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        working_days_between(C1700, datetime(2027, 3, 22), at("2027-03-22T10:00"))
    with pytest.raises(ValueError, match="at must be an aware datetime"):
        add_working_days(C1700, datetime(2027, 3, 22), 1)


def test_a_calendar_without_working_days_says_so() -> None:
    never = Calendar("never", BRUSSELS)
    with pytest.raises(ValueError, match="no working day within 400 days"):
        add_working_days(never, at("2027-03-22T10:00"), 1)
