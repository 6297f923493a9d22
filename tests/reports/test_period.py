"""Report periods: Brussels interval boundaries (across the clock changes) and clear errors
for dates that cannot be meant."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from acd.reports.period import BRUSSELS, ReportError, parse_period


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).isoformat(timespec="minutes")


def test_to_names_the_last_day_included():
    period = parse_period("2027-03-01", "2027-03-31")
    assert local(period.start) == "2027-03-01T00:00+01:00"
    assert local(period.end) == "2027-04-01T00:00+02:00"
    assert len(period.intervals()) == 31


def test_the_day_the_clock_goes_back_is_one_day_of_25_hours():
    days = parse_period("2027-10-30", "2027-10-31", "1d").intervals()
    assert [end - start for start, end in days] == [timedelta(hours=24), timedelta(hours=25)]
    hours = parse_period("2027-10-31", "2027-10-31", "1h").intervals()
    assert len(hours) == 25
    assert local(hours[3][0]) == "2027-10-31T02:00+01:00"  # the second 02:00


def test_weeks_start_on_monday_and_months_on_the_first():
    weeks = parse_period("2027-03-31", "2027-04-13", "1w").intervals()
    assert [local(s) for s, _ in weeks] == [
        "2027-03-31T00:00+02:00",  # partial: the period starts on a Wednesday
        "2027-04-05T00:00+02:00",
        "2027-04-12T00:00+02:00",
    ]
    months = parse_period("2027-01-15", "2027-03-10", "1mo").intervals()
    assert [local(s) for s, _ in months] == [
        "2027-01-15T00:00+01:00",
        "2027-02-01T00:00+01:00",
        "2027-03-01T00:00+01:00",
    ]
    december = parse_period("2027-12-01", "2028-01-31", "1mo").intervals()
    assert local(december[1][0]) == "2028-01-01T00:00+01:00"


def test_half_hours_keep_to_the_half_hour():
    halves = parse_period("2027-03-30T09:10", "2027-03-30T10:05", "30m").intervals()
    assert [local(s) for s, _ in halves] == [
        "2027-03-30T09:10+02:00",
        "2027-03-30T09:30+02:00",
        "2027-03-30T10:00+02:00",
    ]


def test_an_offset_given_is_kept():
    period = parse_period("2027-03-30T07:00+00:00", "2027-03-30T08:00Z", "1h")
    assert local(period.start) == "2027-03-30T09:00+02:00"


@pytest.mark.parametrize(
    ("start", "end", "interval", "says"),
    [
        ("2027-03-31", "2027-03-30", "1d", "--to 2027-03-30 is not after --from 2027-03-31"),
        ("2027-03-30T10:00", "2027-03-30T10:00", "1h", "the period is empty"),
        ("2027-03-30", "9999-12-31", "1d", "--to '9999-12-31': reports cover 2000 to 2199"),
        ("0027-03-30", "2027-03-31", "1d", "--from '0027-03-30': reports cover"),
        ("30/03/2027", "2027-03-31", "1d", "--from '30/03/2027': not a date (YYYY-MM-DD)"),
        ("2027-02-30", "2027-03-31", "1d", "--from '2027-02-30': not a date"),
        ("2027-03-30", "2027-03-31", "2h", "--interval '2h': choose one of 30m, 1h, 1d, 1w, 1mo"),
        ("2000-01-01", "2199-12-31", "30m", "--interval 30m: more than 20000 intervals"),
    ],
)
def test_bad_periods_are_refused_with_the_option_and_the_reason(start, end, interval, says):
    with pytest.raises(ReportError, match=None) as raised:
        parse_period(start, end, interval)
    assert says in str(raised.value)
