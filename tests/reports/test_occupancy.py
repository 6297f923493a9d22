"""The report's occupancy: handling / staffed agent-seconds per agent and for all agents, from
the agents' figures per day, by whole Brussels days, with the stretch each agent was in at
their newest record going on until their next one."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from acd.records.agent_days import AgentDay
from acd.reports.load import Records, make_report
from acd.reports.occupancy import ALL_AGENTS, OccupancyRow, occupancy_rows, report_days
from acd.reports.period import BRUSSELS, Period, parse_period
from foundation.contact import Activity, Presence

pytestmark = pytest.mark.unit

FRIDAY, SATURDAY, MONDAY = date(2027, 3, 26), date(2027, 3, 27), date(2027, 3, 29)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BRUSSELS)


def day_row(
    agent_id: str,
    day: date,
    staffed_s: float,
    handling_s: float,
    *,
    presence: Presence = Presence.LOGGED_OUT,
    activity: Activity = Activity.IDLE,
    since: datetime | None = None,
) -> AgentDay:
    return AgentDay(
        agent_id=agent_id,
        day=day,
        presence=presence,
        state_activity=activity,
        state_since=since or at(day, 17),
        presence_seconds={},
        contacts=10,
        talk_time_s=handling_s * 0.8,
        wrap_up_s=handling_s * 0.2,
        staffed_s=staffed_s,
        handling_s=handling_s,
        updated_at=since or at(day, 17),
    )


def test_occupancy_is_handling_over_staffed_per_agent_and_for_all_agents():
    period = parse_period("2027-03-29", "2027-03-29")
    rows = occupancy_rows(
        period,
        [day_row("a1", MONDAY, 28_800, 21_600), day_row("a2", MONDAY, 14_400, 7_200)],
        made_at=at(MONDAY, 20),
    )
    assert rows == [
        OccupancyRow("a1", 28_800, 21_600),
        OccupancyRow("a2", 14_400, 7_200),
        OccupancyRow(ALL_AGENTS, 43_200, 28_800),
    ]
    assert [r.occupancy for r in rows] == [0.75, 0.5, pytest.approx(2 / 3)]


def test_the_stretch_at_the_newest_record_goes_on_over_days_without_a_record():
    # a1 went available at Friday 23:00 and was left so over the weekend: no record since.
    friday = day_row("a1", FRIDAY, 3_600, 1_800, presence=Presence.AVAILABLE, since=at(FRIDAY, 23))
    weekend = parse_period("2027-03-27", "2027-03-28")
    (a1, _all) = occupancy_rows(weekend, [friday], made_at=at(MONDAY, 9))
    # Saturday, and Sunday of 23 hours (summer time began that night), waiting all along.
    assert (a1.staffed_s, a1.handling_s, a1.occupancy) == (47 * 3600.0, 0.0, 0.0)
    # Friday alone: its stored figures and its last hour.
    (a1, _all) = occupancy_rows(
        parse_period("2027-03-26", "2027-03-26"), [friday], made_at=at(MONDAY, 9)
    )
    assert (a1.staffed_s, a1.handling_s) == (7_200.0, 1_800.0)


def test_today_counts_the_running_stretch_up_to_the_reports_making():
    on_call = day_row(
        "a1",
        MONDAY,
        7_200,
        3_600,
        presence=Presence.AVAILABLE,
        activity=Activity.ON_CALL,
        since=at(MONDAY, 10),
    )
    (a1, _all) = occupancy_rows(
        parse_period("2027-03-29", "2027-03-29"), [on_call], made_at=at(MONDAY, 10, 30)
    )
    assert (a1.staffed_s, a1.handling_s) == (9_000.0, 5_400.0)
    assert a1.occupancy == 0.6


def test_on_a_break_with_a_call_still_going_counts_as_staffed_and_handling():
    wrap_up = day_row(
        "a1",
        MONDAY,
        0,
        0,
        presence=Presence.NOT_AVAILABLE,
        activity=Activity.WRAP_UP,
        since=at(MONDAY, 12),
    )
    (a1, _all) = occupancy_rows(
        parse_period("2027-03-29", "2027-03-29"), [wrap_up], made_at=at(MONDAY, 12, 1)
    )
    assert (a1.staffed_s, a1.handling_s, a1.occupancy) == (60.0, 60.0, 1.0)


def test_agents_not_logged_in_on_the_days_have_no_row_and_a_day_is_counted_whole():
    saturday = day_row("a1", SATURDAY, 3_600, 900)
    assert (
        occupancy_rows(parse_period("2027-03-29", "2027-03-29"), [saturday], made_at=at(MONDAY, 9))
        == []
    )
    # A period from Saturday 12:00 touches Saturday: its figures count whole.
    period = Period(at(SATURDAY, 12), at(SATURDAY, 13))
    assert report_days(period) == (SATURDAY, SATURDAY)
    assert occupancy_rows(period, [saturday], made_at=at(MONDAY, 9))[0].staffed_s == 3_600
    # A period ending at midnight does not touch the next day.
    assert report_days(parse_period("2027-03-27", "2027-03-27")) == (SATURDAY, SATURDAY)


def test_the_report_has_an_occupancy_table():
    period = parse_period("2027-03-29", "2027-03-29")
    records = Records([], [], [], [], {}, agent_days=[day_row("a1", MONDAY, 28_800, 21_600)])
    report = make_report(period, records, made_at=at(MONDAY, 20), short_abandon_s=5.0)
    table = report.table("occupancy")
    assert table.header == ("agent", "staffed_s", "handling_s", "occupancy")
    assert table.rows == [("a1", 28_800, 21_600, 0.75), (ALL_AGENTS, 28_800, 21_600, 0.75)]
    empty = make_report(
        period, Records([], [], [], [], {}), made_at=at(MONDAY, 20), short_abandon_s=5.0
    )
    assert empty.table("occupancy").rows == []
    assert empty.table("occupancy").note == "no agent logged in on the period's days"
