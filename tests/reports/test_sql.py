"""The reports against real SQL (SQLite and PostgreSQL): a period's records read back from the
stores give the same report as the records themselves; report runs advance once."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from acd.records import ContactStore
from acd.records.wrap_ups import WrapUp, WrapUpStore
from acd.reports.load import load_records, make_report
from acd.reports.period import Period
from acd.reports.runs import ReportRunStore
from callbacks.store import CallbackStore
from escalations import SqlEscalationStore
from escalations.ratings import SqlRatingStore
from foundation.clock import hold_clock
from tests.reports.records import DAY, at, records, shifted

pytestmark = pytest.mark.component


async def store_records(url: str, days: int, tag: str):
    given = shifted(records(), days, tag)
    async with ContactStore.open(url, hold=hold_clock) as contacts:
        await contacts.save_many(given.contacts)
    async with WrapUpStore.open(url, hold=hold_clock) as wrap_ups:
        await wrap_ups.save_many(
            [
                WrapUp(cid, "1002", DAY, DAY + timedelta(seconds=seconds))
                for cid, seconds in given.wrap_ups.items()
            ]
        )
    async with SqlRatingStore.open(url, hold=hold_clock) as ratings:
        for rating in given.ratings:
            await ratings.put(rating)
    async with SqlEscalationStore.open(url, hold=hold_clock) as points:
        await points.seed(given.points)
    async with CallbackStore.open(url, hold=hold_clock) as callbacks:
        for callback in given.callbacks:
            await callbacks.request(
                f"+3247{secrets.randbelow(10**7):07d}",
                callback.line,
                callback.line_code,
                None,
                callback.requested_at,
                callback.due_by,
                f"{tag}{callback.id}",
            )
    return given


async def test_a_period_read_from_sql_reports_as_the_records_do(db_url):
    days = secrets.randbelow(3000) + 400  # a day of its own in the shared database
    tag = secrets.token_hex(3)
    given = await store_records(db_url, days, tag)
    period = Period(at(9, 0) + timedelta(days=days), at(11, 0) + timedelta(days=days))
    loaded = await load_records(db_url, period, hold=hold_clock)
    assert sorted(c.id for c in loaded.contacts) == sorted(
        f"{tag}c{n}" for n in range(1, 9)
    )  # c9 and c10 arrived outside the period
    assert loaded.wrap_ups == pytest.approx(given.wrap_ups)
    from_sql = make_report(period, loaded, made_at=period.end, short_abandon_s=5.0)
    direct = make_report(period, given, made_at=period.end, short_abandon_s=5.0)
    operational = from_sql.table("totals").rows
    # The callbacks read back are all pending (requests only): the rest must match exactly.
    callbacks_at = from_sql.table("totals").header.index("callbacks_requested")
    assert [r[:callbacks_at] for r in operational] == [
        r[:callbacks_at] for r in direct.table("totals").rows
    ]
    assert [r[callbacks_at : callbacks_at + 3] for r in operational] == [(3, 0, 0), (0, 0, 0)]
    assert from_sql.table("points").rows == direct.table("points").rows
    # The registrations (records migration 0007) read back: the same contact reasons.
    assert from_sql.table("reasons").rows == direct.table("reasons").rows
    assert len(from_sql.table("reasons").rows) == 3


async def test_a_report_run_is_recorded_once(db_url):
    name = f"weekly-{secrets.token_hex(3)}"
    first, second = DAY, DAY + timedelta(days=7)
    async with ReportRunStore.open(db_url, hold=hold_clock) as runs:
        assert await runs.last_end(name) is None
        assert await runs.advance(name, None, first, DAY)
        assert not await runs.advance(name, None, first, DAY)  # another node was first
        assert await runs.advance(name, first, second, DAY)
        assert not await runs.advance(name, first, second, DAY)  # stale: already moved on
        assert await runs.last_end(name) == second
