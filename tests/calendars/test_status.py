"""Open or closed at a moment, why, and when that changes: one table over 1700's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.calendars import (
    Calendar,
    Reason,
    is_open,
    next_close,
    next_opening,
    status,
    weekly_schedule,
)
from tests.calendars.conftest import AROUND_THE_CLOCK, BRUSSELS, C1700, at

OPEN, CLOSED = True, False
TICK = timedelta(microseconds=1)
H, W, C, X = Reason.HOLIDAY, Reason.WEEKEND, Reason.CLOSURE, Reason.OUTSIDE_HOURS

# at, open, reason, detail, closes_at, next_opening (ISO with offset: the result's own zone)
STATUS = [
    # Easter Monday 2027, the day after the spring DST change (which was on Easter Sunday).
    ("2027-03-29T10:00", CLOSED, H, "Paasmaandag", None, "2027-03-30T09:00+02:00"),
    ("2027-03-26T18:59", OPEN, Reason.OPEN, "", "2027-03-26T19:00+01:00", "2027-03-30T09:00+02:00"),
    ("2027-03-26T19:00", CLOSED, X, "", None, "2027-03-30T09:00+02:00"),
    ("2027-03-27T12:00", CLOSED, W, "", None, "2027-03-30T09:00+02:00"),
    # Easter Sunday is a holiday as well as a Sunday: the holiday is the reason given.
    ("2027-03-28T03:30", CLOSED, H, "Pasen", None, "2027-03-30T09:00+02:00"),
    # 09:00 is 07:00 UTC after the change, not 08:00.
    ("2027-03-30T06:59+00:00", CLOSED, X, "", None, "2027-03-30T09:00+02:00"),
    (
        "2027-03-30T07:00+00:00",
        OPEN,
        Reason.OPEN,
        "",
        "2027-03-30T19:00+02:00",
        "2027-03-31T09:00+02:00",
    ),
    # An exceptional opening on a Saturday.
    (
        "2027-04-03T10:00",
        OPEN,
        Reason.OPEN,
        "Extra zaterdag",
        "2027-04-03T14:00+02:00",
        "2027-04-05T09:00+02:00",
    ),
    ("2027-04-03T14:00", CLOSED, X, "", None, "2027-04-05T09:00+02:00"),
    # Ascension Day, then the bridge day closure, then the weekend.
    ("2027-05-06T10:00", CLOSED, H, "O. L. H. Hemelvaart", None, "2027-05-10T09:00+02:00"),
    ("2027-05-07T10:00", CLOSED, C, "Brugdag", None, "2027-05-10T09:00+02:00"),
    # Autumn DST weekend, All Saints' Day on the Monday.
    ("2027-10-29T19:00", CLOSED, X, "", None, "2027-11-02T09:00+01:00"),
    ("2027-10-31T02:30+01:00", CLOSED, W, "", None, "2027-11-02T09:00+01:00"),
    ("2027-11-01T10:00", CLOSED, H, "Allerheiligen", None, "2027-11-02T09:00+01:00"),
    # New Year: the 31st is an ordinary working day.
    ("2026-12-31T18:30", OPEN, Reason.OPEN, "", "2026-12-31T19:00+01:00", "2027-01-04T09:00+01:00"),
    ("2027-01-01T00:00", CLOSED, H, "Nieuwjaar", None, "2027-01-04T09:00+01:00"),
    ("2026-12-31T23:30+00:00", CLOSED, H, "Nieuwjaar", None, "2027-01-04T09:00+01:00"),
    # A closure from Friday 16:00 over Christmas to Monday 09:00: it beats the holiday.
    ("2027-12-24T15:59", OPEN, Reason.OPEN, "", "2027-12-24T16:00+01:00", "2027-12-27T09:00+01:00"),
    ("2027-12-24T16:00", CLOSED, C, "Kerstsluiting", None, "2027-12-27T09:00+01:00"),
    ("2027-12-25T12:00", CLOSED, C, "Kerstsluiting", None, "2027-12-27T09:00+01:00"),
    ("2027-12-26T23:30+00:00", CLOSED, C, "Kerstsluiting", None, "2027-12-27T09:00+01:00"),
    ("2027-12-27T09:00", OPEN, Reason.OPEN, "", "2027-12-27T19:00+01:00", "2027-12-28T09:00+01:00"),
    # 11 July is the Flemish Community's holiday, not a national one: a configured closure.
    (
        "2028-07-11T10:00",
        CLOSED,
        C,
        "Feest van de Vlaamse Gemeenschap",
        None,
        "2028-07-12T09:00+02:00",
    ),
]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


@pytest.mark.parametrize(
    ("moment", "is_open_now", "reason", "detail", "closes_at", "opens_at"), STATUS
)
def test_status(
    moment: str,
    is_open_now: bool,
    reason: Reason,
    detail: str,
    closes_at: str | None,
    opens_at: str,
) -> None:
    result = status(C1700, at(moment))
    assert (result.open, result.reason, result.detail) == (is_open_now, reason, detail)
    assert (_iso(result.closes_at), _iso(result.next_opening)) == (closes_at, opens_at)
    assert is_open(C1700, at(moment)) is is_open_now
    assert _iso(next_opening(C1700, at(moment))) == opens_at
    if closes_at:
        assert _iso(next_close(C1700, at(moment))) == closes_at


def test_message_of_the_date() -> None:
    assert status(C1700, at("2027-03-30T10:00")).message == "sound:acd-changed-hours"
    assert status(C1700, at("2027-03-30T20:00")).message == "sound:acd-changed-hours"
    assert status(C1700, at("2027-03-31T10:00")).message is None


def test_next_close_when_closed_is_the_end_of_the_next_stretch() -> None:
    assert _iso(next_close(C1700, at("2027-03-29T10:00"))) == "2027-03-30T19:00+02:00"


# A calendar open around the clock, with a maintenance closure across midnight.
AROUND = [
    ("2027-06-01T12:00", OPEN, Reason.OPEN, "2027-06-01T22:00+02:00", "2027-06-02T06:00+02:00"),
    ("2027-06-01T22:00", CLOSED, C, None, "2027-06-02T06:00+02:00"),
    ("2027-06-02T00:00", CLOSED, C, None, "2027-06-02T06:00+02:00"),
    ("2027-06-02T05:59", CLOSED, C, None, "2027-06-02T06:00+02:00"),
    # Open for as far as the search looks: no closing time, no next opening.
    ("2027-06-02T06:00", OPEN, Reason.OPEN, None, None),
    # Days that touch at midnight are one stretch, across the DST changes too.
    ("2027-03-27T12:00", OPEN, Reason.OPEN, "2027-06-01T22:00+02:00", "2027-06-02T06:00+02:00"),
    (
        "2027-03-28T02:30+01:00",
        OPEN,
        Reason.OPEN,
        "2027-06-01T22:00+02:00",
        "2027-06-02T06:00+02:00",
    ),
]


@pytest.mark.parametrize(("moment", "is_open_now", "reason", "closes_at", "opens_at"), AROUND)
def test_around_the_clock(
    moment: str, is_open_now: bool, reason: Reason, closes_at: str | None, opens_at: str | None
) -> None:
    result = status(AROUND_THE_CLOCK, at(moment))
    assert (result.open, result.reason) == (is_open_now, reason)
    assert (_iso(result.closes_at), _iso(result.next_opening)) == (closes_at, opens_at)


def test_results_are_in_the_calendars_zone_whatever_the_input_zone() -> None:
    result = status(C1700, datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    assert result.next_opening is not None
    assert result.next_opening.tzinfo is BRUSSELS


@pytest.mark.parametrize("function", [is_open, status, next_opening, next_close])
def test_naive_datetimes_are_refused(function: object) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        function(C1700, datetime(2027, 3, 29, 10))  # type: ignore[operator]


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2029, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_status_agrees_with_is_open_at_its_edges(moment: datetime) -> None:
    result = status(C1700, moment)
    assert result.open is is_open(C1700, moment)
    opens = result.next_opening
    assert opens is not None
    assert opens > moment
    assert is_open(C1700, opens)
    assert not is_open(C1700, opens - TICK)
    if result.open:
        assert result.closes_at is not None
        assert moment < result.closes_at < opens
        assert is_open(C1700, result.closes_at - TICK)
        assert not is_open(C1700, result.closes_at)


NIGHT = Calendar("night", BRUSSELS, weekly_schedule(sun=["01:00-04:00"]))
IN_THE_GAP = Calendar("gap", BRUSSELS, weekly_schedule(sun=["02:00-03:00"]))


def test_a_night_slot_is_an_hour_shorter_in_spring_and_longer_in_autumn() -> None:
    spring = status(NIGHT, at("2027-03-28T01:30"))
    assert _iso(spring.closes_at) == "2027-03-28T04:00+02:00"
    assert is_open(NIGHT, at("2027-03-28T03:00+02:00"))
    autumn = status(NIGHT, at("2027-10-31T02:30+01:00"))  # the second 02:30
    assert autumn.open
    assert _iso(autumn.closes_at) == "2027-10-31T04:00+01:00"
    assert is_open(NIGHT, at("2027-10-31T02:30+02:00"))  # the first 02:30


def test_a_slot_inside_the_spring_gap_takes_no_time() -> None:
    assert not is_open(IN_THE_GAP, at("2027-03-28T01:59+01:00"))
    assert not is_open(IN_THE_GAP, at("2027-03-28T03:00+02:00"))
    assert _iso(next_opening(IN_THE_GAP, at("2027-03-27T12:00"))) == "2027-04-04T02:00+02:00"
