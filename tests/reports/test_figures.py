"""The report's figures over a hand-made set of records (tests/reports/records.py), worked out
by hand: exact, and by sla.service_level's definitions."""

from __future__ import annotations

from datetime import datetime

import pytest

from acd.reports.load import make_report
from acd.reports.operational import OperationalRow, operational_rows
from acd.reports.period import BRUSSELS, parse_period
from tests.reports.records import at, records

PERIOD = parse_period("2027-03-30T09:00", "2027-03-30T11:00", "1h")
MADE = datetime(2027, 3, 31, 8, 0, tzinfo=BRUSSELS)


def rows_by_key() -> dict[tuple[str, int], OperationalRow]:
    given = records()
    rows = operational_rows(
        PERIOD, given.contacts, given.callbacks, short_abandon_s=5.0, wrap_ups=given.wrap_ups
    )
    return {(r.line_code, r.start.astimezone(BRUSSELS).hour): r for r in rows}


def test_every_group_has_a_row_in_every_interval():
    assert sorted(rows_by_key()) == [("A", 9), ("A", 10), ("B", 9), ("B", 10)]


def test_the_busy_hour_is_counted_exactly():
    row = rows_by_key()[("A", 9)]
    # c1-c5 offered; c6 (closed, never queued) is not; c7 is a callback placement.
    assert (row.offered, row.answered, row.abandoned, row.short_abandoned) == (5, 2, 2, 1)
    assert row.answer_rate == 2 / 4
    assert row.meets_norm is False
    assert row.service_level == 1 / 4  # only c1 within 20 s
    assert row.service_level_without_short_abandons == 1 / 3
    assert row.abandon_rate == 2 / 5
    assert row.average_speed_of_answer_s == (10 + 40) / 2
    # Talk: c1 300 s, c2 80 s (until the escalation point took over); wrap-ups 30 + 10 s.
    assert row.average_handling_time_s == (300 + 80 + 30 + 10) / 2
    assert (row.escalations_phone, row.escalations_email) == (1, 0)
    assert (row.callbacks_requested, row.callbacks_made, row.callbacks_made_in_time) == (3, 2, 1)


def test_an_answer_at_exactly_the_threshold_is_within_it():
    row = rows_by_key()[("B", 10)]
    assert (row.offered, row.answered, row.service_level, row.meets_norm) == (1, 1, 1.0, True)
    assert row.average_speed_of_answer_s == 20
    assert row.average_handling_time_s == 60  # no wrap-up recorded for c8
    assert row.escalations_email == 1


def test_an_interval_without_calls_has_no_figure_rather_than_zero():
    row = rows_by_key()[("A", 10)]
    assert row.offered == 0
    assert row.answer_rate is None
    assert row.meets_norm is None
    assert row.average_speed_of_answer_s is None


def test_the_whole_period_sums_the_intervals():
    given = records()
    totals = operational_rows(
        PERIOD,
        given.contacts,
        given.callbacks,
        short_abandon_s=5.0,
        wrap_ups=given.wrap_ups,
        whole_period=True,
    )
    assert [(r.line_code, r.offered, r.answered) for r in totals] == [("A", 5, 2), ("B", 1, 1)]
    assert totals[0].start == at(9, 0)
    assert totals[0].end == at(11, 0)


def test_escalations_per_point_carry_their_ratings():
    report = make_report(PERIOD, records(), made_at=MADE, short_abandon_s=5.0)
    points = report.table("points")
    assert points.header[:6] == (
        "point",
        "title",
        "organisation",
        "theme",
        "escalations_phone",
        "escalations_email",
    )
    # p1: c2 rated twice (4,3,5) and (2,3,4); the rating of c99 is of no escalation here.
    assert points.rows == [
        ("p1", "Belastingen", "FOD Financiën", "Fiscaliteit", 1, 0, 2, 3.0, 3.0, 4.5),
        ("p2", "Kinderbijslag", "FOD Financiën", "Fiscaliteit", 0, 1, 1, 5.0, 5.0, 5.0),
    ]
    themes = report.table("themes")
    # Averages over all three ratings, rounded to 4 decimals in the tables.
    assert themes.rows == [("FOD Financiën", "Fiscaliteit", 2, 1, 1, 3, 3.6667, 3.6667, 4.6667)]


def test_contact_reasons_are_counted_per_line_code_with_their_share():
    report = make_report(PERIOD, records(), made_at=MADE, short_abandon_s=5.0)
    reasons = report.table("reasons")
    assert reasons.header == ("line_code", "reason", "contacts", "share")
    # The most given first; c7 (a callback's conversation) counts, c9 (before 09:00) not.
    assert reasons.rows == [
        ("A", "Inkomstenbelasting", 2, 0.6667),
        ("A", "Kinderbijslag", 1, 0.3333),
        ("B", "Groeipakket", 1, 1.0),
    ]
    assert reasons.note == ""


def test_a_period_without_registrations_says_so():
    unregistered = records()
    for record in unregistered.contacts:
        record.registration = None
    report = make_report(PERIOD, unregistered, made_at=MADE, short_abandon_s=5.0)
    reasons = report.table("reasons")
    assert reasons.rows == []
    assert reasons.note == "no contact reasons registered in the period"


def test_the_short_abandon_threshold_is_the_configured_one():
    given = records()
    rows = operational_rows(PERIOD, given.contacts, given.callbacks, short_abandon_s=60.5)
    assert rows[0].short_abandoned == 2  # c3 (3 s) and c4 (60 s)


@pytest.mark.parametrize("short_abandon_s", [0.0, 2.9])
def test_no_short_abandon_below_the_threshold(short_abandon_s):
    given = records()
    rows = operational_rows(
        PERIOD, given.contacts, given.callbacks, short_abandon_s=short_abandon_s
    )
    assert rows[0].short_abandoned == 0
