"""A status holds until its ``valid_until`` and no longer, and the cache that relies on it
answers exactly as the rules do."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.calendars import (
    WEEKDAYS,
    Calendar,
    Message,
    Opening,
    PublicHolidays,
    Slot,
    Status,
    StatusCache,
    status,
    weekly_schedule,
)
from foundation.calendars import rules as calendar_rules
from tests.calendars.conftest import AROUND_THE_CLOCK, BRUSSELS, C1700, at

TICK = timedelta(microseconds=1)
WHOLE_WEEK = weekly_schedule(**{day: ["00:00-24:00"] for day in WEEKDAYS})

ALWAYS = Calendar("always", BRUSSELS, WHOLE_WEEK)
# Open around the clock except on public holidays, with a message on one date, an opening
# whose note shows on one date, and a week split into touching slots.
ALWAYS_BUT_HOLIDAYS = Calendar(
    "always-but-holidays",
    BRUSSELS,
    weekly_schedule(**{day: ["00:00-12:00", "12:00-24:00"] for day in WEEKDAYS}),
    public_holidays=PublicHolidays("BE"),
    openings=(Opening(date(2027, 7, 21), (Slot.parse("10:00-12:00"),), "Nationale feestdag"),),
    messages=(Message(date(2027, 6, 15), "sound:acd-survey"),),
)

# calendar, at, valid_until (ISO with offset, in the calendar's zone; None: never changes)
EDGES: list[tuple[Calendar, str, str | None]] = [
    # Around the clock: nothing ever changes, across both DST changes.
    (ALWAYS, "2027-03-28T01:59", None),
    (ALWAYS, "2027-10-31T02:30+01:00", None),
    # Around the clock with a maintenance closure across midnight.
    (AROUND_THE_CLOCK, "2027-03-28T02:30+01:00", "2027-06-01T22:00+02:00"),
    (AROUND_THE_CLOCK, "2027-06-01T22:00", "2027-06-02T06:00+02:00"),
    (AROUND_THE_CLOCK, "2027-06-02T06:00", None),
    # Office hours: closing time, then the evening, the weekend, then Easter (the spring DST
    # change is on Easter Sunday), Easter Monday, and a date with a message.
    (C1700, "2027-03-26T10:00", "2027-03-26T19:00+01:00"),
    (C1700, "2027-03-26T19:00", "2027-03-27T00:00+01:00"),  # outside hours -> weekend
    (C1700, "2027-03-27T12:00", "2027-03-28T00:00+01:00"),  # weekend -> Pasen
    (C1700, "2027-03-28T03:30", "2027-03-29T00:00+02:00"),  # Pasen -> Paasmaandag
    (C1700, "2027-03-29T10:00", "2027-03-30T00:00+02:00"),  # Paasmaandag -> outside hours
    (C1700, "2027-03-30T08:00", "2027-03-30T09:00+02:00"),  # the message is the same
    (C1700, "2027-03-30T09:00", "2027-03-30T19:00+02:00"),
    (C1700, "2027-03-30T19:00", "2027-03-31T00:00+02:00"),  # the message ends at midnight
    (C1700, "2027-03-31T00:00", "2027-03-31T09:00+02:00"),
    # An ordinary night: outside hours on both sides of midnight, one change, at opening.
    (C1700, "2027-04-01T19:00", "2027-04-02T09:00+02:00"),
    # Friday evening before an exceptional Saturday opening: outside hours until it opens.
    (C1700, "2027-04-02T19:00", "2027-04-03T10:00+02:00"),
    (C1700, "2027-04-03T10:00", "2027-04-03T14:00+02:00"),
    (C1700, "2027-04-03T14:00", "2027-04-04T00:00+02:00"),
    # Ascension Day, then the bridge day closure, then the weekend.
    (C1700, "2027-05-05T19:00", "2027-05-06T00:00+02:00"),
    (C1700, "2027-05-06T10:00", "2027-05-07T00:00+02:00"),
    (C1700, "2027-05-07T10:00", "2027-05-08T00:00+02:00"),
    # The autumn DST weekend, All Saints' Day on the Monday.
    (C1700, "2027-10-29T19:00", "2027-10-30T00:00+02:00"),
    (C1700, "2027-10-31T02:30+02:00", "2027-11-01T00:00+01:00"),
    (C1700, "2027-10-31T02:30+01:00", "2027-11-01T00:00+01:00"),
    (C1700, "2027-11-01T10:00", "2027-11-02T00:00+01:00"),
    # The Christmas closure beats the holiday and the weekend in it, and ends at opening.
    (C1700, "2027-12-24T15:00", "2027-12-24T16:00+01:00"),
    (C1700, "2027-12-24T16:00", "2027-12-27T09:00+01:00"),
    # Open around the clock but for holidays: until Easter Monday, across the spring change.
    (ALWAYS_BUT_HOLIDAYS, "2027-03-26T12:00", "2027-03-28T00:00+01:00"),
    (ALWAYS_BUT_HOLIDAYS, "2027-03-28T12:00", "2027-03-29T00:00+02:00"),  # -> Paasmaandag
    (ALWAYS_BUT_HOLIDAYS, "2027-03-29T12:00", "2027-03-30T00:00+02:00"),
    # A message changes an open status at midnight, twice.
    (ALWAYS_BUT_HOLIDAYS, "2027-06-14T12:00", "2027-06-15T00:00+02:00"),
    (ALWAYS_BUT_HOLIDAYS, "2027-06-15T00:00", "2027-06-16T00:00+02:00"),
    # The national holiday's exceptional opening: closed, open 10:00-12:00, closed.
    (ALWAYS_BUT_HOLIDAYS, "2027-07-20T12:00", "2027-07-21T00:00+02:00"),
    (ALWAYS_BUT_HOLIDAYS, "2027-07-21T00:00", "2027-07-21T10:00+02:00"),
    (ALWAYS_BUT_HOLIDAYS, "2027-07-21T10:00", "2027-07-21T12:00+02:00"),
    (ALWAYS_BUT_HOLIDAYS, "2027-07-21T12:00", "2027-07-22T00:00+02:00"),
]


def _without_edge(result: Status) -> Status:
    return dataclasses.replace(result, valid_until=None)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


@pytest.mark.parametrize(("calendar", "moment", "until"), EDGES)
def test_a_status_holds_until_its_edge_and_changes_there(
    calendar: Calendar, moment: str, until: str | None
) -> None:
    result = status(calendar, at(moment))
    assert _iso(result.valid_until) == until
    if result.valid_until is None:
        return
    assert result.valid_until.tzinfo is BRUSSELS
    assert status(calendar, result.valid_until - TICK) == result
    after = status(calendar, result.valid_until)
    assert _without_edge(after) != _without_edge(result)
    cache = StatusCache()
    assert cache.status(calendar, at(moment)) is cache.status(calendar, result.valid_until - TICK)
    assert cache.status(calendar, result.valid_until) == after
    assert cache.computed == 2


def _counting_days(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    calls = 0
    real = calendar_rules._day_intervals

    def counted(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
        nonlocal calls
        calls += 1
        return real(calendar, day)

    monkeypatch.setattr(calendar_rules, "_day_intervals", counted)
    return lambda: calls


def test_an_endless_stretch_is_found_without_walking_the_search_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    days = _counting_days(monkeypatch)
    assert status(ALWAYS, at("2027-06-01T12:00")).closes_at is None
    assert days() <= 2
    # After its last closure, a line open around the clock is open for good as well.
    assert status(AROUND_THE_CLOCK, at("2027-06-02T06:00")).closes_at is None
    assert days() <= 6


def test_the_cache_computes_a_24_7_status_once() -> None:
    cache = StatusCache()
    first = at("2027-01-01T00:00")
    for second in range(0, 400 * 86400, 3607):
        assert cache.status(ALWAYS, first + timedelta(seconds=second)).open
    assert cache.computed == 1


def test_the_cache_refuses_naive_moments_like_the_rules() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        StatusCache().status(C1700, datetime(2027, 3, 29, 10))


def test_the_cache_keeps_calendars_apart() -> None:
    cache = StatusCache()
    moment = at("2027-03-27T12:00")
    assert not cache.status(C1700, moment).open
    assert cache.status(ALWAYS, moment).open
    assert not cache.status(C1700, moment + TICK).open
    assert cache.computed == 2


MOMENTS = st.lists(
    st.datetimes(
        min_value=datetime(2026, 12, 1), max_value=datetime(2028, 2, 1), timezones=st.just(UTC)
    ),
    min_size=1,
    max_size=30,
)
CALENDARS = st.sampled_from([C1700, AROUND_THE_CLOCK, ALWAYS, ALWAYS_BUT_HOLIDAYS])


@given(CALENDARS, MOMENTS)
def test_the_cached_status_is_the_status(calendar: Calendar, moments: list[datetime]) -> None:
    cache = StatusCache()
    for moment in moments:
        assert cache.status(calendar, moment) == status(calendar, moment)


@given(CALENDARS, MOMENTS)
def test_the_status_holds_until_its_edge(calendar: Calendar, moments: list[datetime]) -> None:
    for moment in moments[:3]:
        result = status(calendar, moment)
        if result.valid_until is not None:
            assert result.valid_until > moment
            assert status(calendar, result.valid_until - TICK) == result
            assert _without_edge(status(calendar, result.valid_until)) != _without_edge(result)
