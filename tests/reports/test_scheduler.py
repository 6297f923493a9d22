"""Scheduled reports on a controlled clock (the virtual loop: no real waiting): each is made
at its run time, written to its folder or queued as mail, and a restart after downtime makes
the missed ones once, neither skipping nor repeating a period."""

from __future__ import annotations

import asyncio
import csv
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from acd.reports.load import load_records, make_report
from acd.reports.period import BRUSSELS, Interval, Period
from acd.reports.runs import ReportRunStore
from acd.reports.schedule import Schedule, due_periods, next_run
from acd.reports.scheduler import ReportScheduler
from acd.reports.tables import Report
from foundation.clock import Clock, hold_clock
from tests.reports.test_sql import store_records

pytestmark = pytest.mark.component

START = datetime(2027, 3, 29, 5, 0, tzinfo=BRUSSELS)  # a Monday, before the day's runs


def day(d: int, hh: int = 0) -> datetime:
    return datetime(2027, 3, 1, tzinfo=BRUSSELS) + timedelta(days=d - 1, hours=hh)


def test_a_weekly_schedule_is_due_the_morning_after_each_week():
    weekly = Schedule("w", 1, "w", date(2027, 3, 1), time(7, 0), folder=Path("x"))
    # Never run: only the latest week due, not a backlog back to the start.
    assert due_periods(weekly, None, day(29, 6)) == [Period(day(15), day(22))]
    assert next_run(weekly, None, day(29, 6)) == (day(29, 7), Period(day(22), day(29)))
    # Run up to 22 March: the week to the 29th is due from 07:00 on the 29th.
    assert due_periods(weekly, day(22), day(29, 6)) == []
    assert due_periods(weekly, day(22), day(29, 7)) == [Period(day(22), day(29))]
    # Down for two weeks: both weeks, in order.
    assert due_periods(weekly, day(15), datetime(2027, 4, 1, tzinfo=BRUSSELS)) == [
        Period(day(15), day(22)),
        Period(day(22), day(29)),
    ]


def test_a_monthly_schedule_follows_the_calendar():
    monthly = Schedule("m", 3, "mo", date(2026, 11, 1), folder=Path("x"))
    assert [
        p.start.astimezone(BRUSSELS).date()
        for p in due_periods(
            monthly,
            datetime(2026, 11, 1, tzinfo=BRUSSELS),
            datetime(2027, 8, 1, 6, tzinfo=BRUSSELS),
        )
    ] == [date(2026, 11, 1), date(2027, 2, 1), date(2027, 5, 1)]


async def test_reports_are_made_at_their_times_and_a_restart_neither_skips_nor_repeats(
    db_url: str, tmp_path: Path
):
    tag = secrets.token_hex(3)
    await store_records(db_url, 0, tag)  # Tuesday 30 March, 09:00-11:00
    clock = Clock(wall_start=START)
    daily = Schedule(
        f"daily-{tag}",
        1,
        "d",
        date(2027, 3, 1),
        time(6, 0),
        Interval.HOUR,
        "csv",
        folder=tmp_path / "daily",
    )
    weekly = Schedule(
        f"weekly-{tag}",
        1,
        "w",
        date(2027, 3, 1),
        time(7, 0),
        Interval.DAY,
        "xlsx",
        folder=tmp_path / "weekly",
        mail_to=("manager@example.org",),
    )
    made: list[tuple[datetime, Period]] = []
    mails: list[tuple[str, str, str]] = []

    async def make(period: Period, now: datetime) -> Report:
        made.append((now, period))
        records = await load_records(db_url, period, hold=hold_clock)
        return make_report(period, records, made_at=now, short_abandon_s=5.0)

    async def queue_mail(key: str, address: str, subject: str, body: str) -> None:
        mails.append((key, address, subject))

    async def run_for(until: datetime) -> None:
        async with ReportRunStore.open(db_url, hold=hold_clock) as runs:
            scheduler = ReportScheduler([daily, weekly], runs, make, clock, queue_mail=queue_mail)
            await scheduler.start()
            await asyncio.sleep((until - clock.now()).total_seconds())
            await scheduler.stop()

    await run_for(datetime(2027, 3, 31, 8, 0, tzinfo=BRUSSELS))
    when = [(now.astimezone(BRUSSELS), p.start.astimezone(BRUSSELS).date()) for now, p in made]
    # At start: each schedule's latest due period; then each at its run time.
    assert [(w.date(), w.hour, w.minute, d) for w, d in when] == [
        (date(2027, 3, 29), 5, 0, date(2027, 3, 27)),  # daily: 28 March was due at 06:00 on it
        (date(2027, 3, 29), 5, 0, date(2027, 3, 15)),  # weekly: 15-21 March
        (date(2027, 3, 29), 6, 0, date(2027, 3, 28)),
        (date(2027, 3, 29), 7, 0, date(2027, 3, 22)),  # weekly: 22-28 March
        (date(2027, 3, 30), 6, 0, date(2027, 3, 29)),
        (date(2027, 3, 31), 6, 0, date(2027, 3, 30)),
    ]
    tuesday = tmp_path / "daily" / f"daily-{tag}-2027-03-30-2027-03-30-totals.csv"
    rows = list(csv.DictReader(tuesday.open(encoding="utf-8")))
    # The whole day: c9 (08:59) and c10 (11:00) count too, beside the morning's five.
    assert [(r["line_code"], r["offered"], r["answered"]) for r in rows] == [
        ("A", "7", "4"),
        ("B", "1", "1"),
    ]
    book = load_workbook(tmp_path / "weekly" / f"weekly-{tag}-2027-03-22-2027-03-28.xlsx")
    assert "operational" in book.sheetnames
    # One mail per period and address, keyed so that the outbox keeps one if it is redone.
    assert [k for k, _a, _s in mails] == [
        f"report:weekly-{tag}:2027-03-21T23:00:00+00:00:manager@example.org",
        f"report:weekly-{tag}:2027-03-28T22:00:00+00:00:manager@example.org",
    ]
    assert mails[-1][2] == f"ACD report weekly-{tag}: 2027-03-22 to 2027-03-28"

    # Down from Wednesday 08:00 to Saturday 12:00: at restart the three missed days at once.
    await asyncio.sleep(
        (datetime(2027, 4, 3, 12, 0, tzinfo=BRUSSELS) - clock.now()).total_seconds()
    )
    del made[:]
    await run_for(datetime(2027, 4, 3, 13, 0, tzinfo=BRUSSELS))
    assert [p.start.astimezone(BRUSSELS).date() for _now, p in made] == [
        date(2027, 3, 31),
        date(2027, 4, 1),
        date(2027, 4, 2),
    ]
    assert {now for now, _p in made} == {datetime(2027, 4, 3, 12, 0, tzinfo=BRUSSELS)}
    assert len(mails) == 2  # the next week is not over yet


async def test_a_failing_run_is_tried_again_without_recording_it(db_url: str, tmp_path: Path):
    tag = secrets.token_hex(3)
    clock = Clock(wall_start=START)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    daily = Schedule(f"d-{tag}", 1, "d", date(2027, 3, 1), folder=blocked)
    calls: list[datetime] = []

    async def make(period: Period, now: datetime) -> Report:
        calls.append(now)
        return make_report(
            period,
            await load_records(db_url, period, hold=hold_clock),
            made_at=now,
            short_abandon_s=5.0,
        )

    async with ReportRunStore.open(db_url, hold=hold_clock) as runs:
        scheduler = ReportScheduler([daily], runs, make, clock)
        await scheduler.start()
        await asyncio.sleep(11 * 60)
        await scheduler.stop()
        assert await runs.last_end(daily.name) is None
    assert [int((c - START).total_seconds()) for c in calls] == [0, 300, 600]  # every 5 min
