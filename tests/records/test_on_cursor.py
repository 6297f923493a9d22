"""The records thread runs its upserts straight on the sqlite3 cursor
(``acd.records.on_cursor``): every value must be stored exactly as SQLAlchemy's execution stores
it, or a restart, a report or the other engine node would read something else."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite as sqlite_dialect

from acd.records import migrate
from acd.records.together import Record, RecordsStore
from acd.records.wrap_ups import WrapUp
from foundation.clock import hold_clock
from foundation.contact import (
    Activity,
    ContactRecord,
    Offer,
    OfferResult,
    Outcome,
    Presence,
    Registration,
)
from foundation.sql import UtcDateTime, create_engine
from tests.records.contacts import T0, answered_after_one_no_answer, arrived, ended
from tests.records.test_agent_states import lunch

BRUSSELS_SUMMER = timezone(timedelta(hours=2))  # an offset: stored as UTC all the same
TABLES = {
    "contacts": "id",
    "contact_offers": "contact_id, seq",
    "agent_states": "agent_id",
    "contact_wrap_ups": "contact_id",
    "agent_days": "agent_id, day",
}


def every_field(contact_id: str) -> ContactRecord:
    """A contact with every column set: enums, floats, JSON links, times with an offset."""
    call = ended(answered_after_one_no_answer(arrived(contact_id)), Outcome.ESCALATED_PHONE)
    call.arrived_at = call.arrived_at.astimezone(BRUSSELS_SUMMER)
    call.offers.append(Offer("a3", T0 + timedelta(seconds=90), OfferResult.REJECTED, None, 21))
    call.escalation_point = "tweedelijn"
    call.transferred_at = T0 + timedelta(minutes=4, microseconds=123456)
    call.emailed_to = "dossiers"
    call.registration = Registration(
        "a2", "vraag over premie é", "Wonen", ("https://a.example/1", "https://b/ü"), T0
    )
    call.survey_started_at = T0 + timedelta(minutes=4, seconds=30)
    call.survey_question = 2
    call.recording_started_at = T0 + timedelta(seconds=75)
    return call


def batches() -> list[list[Record]]:
    """What the engine writes: snapshots in progress, then final ones, an older snapshot of an
    ended contact (refused by the upsert), agents with and without a reason, wrap-ups."""
    full, bare = every_field("c-full"), arrived("c-bare")
    in_progress = answered_after_one_no_answer(arrived("c-late"))
    final = ended(in_progress, Outcome.ABANDONED)
    agent = lunch("a1")
    available = lunch(
        "a2", presence=Presence.AVAILABLE, reason=None, idle_since=None, stats_day=None
    )
    back = lunch(
        "a1",
        presence=Presence.AVAILABLE,
        reason=None,
        stats_day=date(2027, 3, 30),
        presence_seconds_today={"available": 60.25, "not_available:lunch": 1800.0},
        wrap_up_today_s=41.5,
        staffed_today_s=99.5,
        handling_today_s=70.0,
        state_since=T0.astimezone(BRUSSELS_SUMMER),
        state_activity=Activity.ON_CALL,
    )
    wrap_up = WrapUp(
        "c-full", "a2", T0 + timedelta(minutes=5), T0 + timedelta(minutes=5, seconds=41.5)
    )
    return [
        [in_progress, bare, agent],
        [final, full, available, wrap_up],
        [in_progress, back, WrapUp("c-late", "a1", T0, T0.astimezone(BRUSSELS_SUMMER))],
    ]


async def write(url: str, batches: Sequence[Sequence[Record]], *, on_cursor: bool) -> RecordsStore:
    """The batches through the records thread (on the cursor) or through SQLAlchemy's
    execution, as PostgreSQL is written."""
    await migrate(url)
    engine = create_engine(url)
    store = RecordsStore(engine, hold=hold_clock, url=url if on_cursor else None)
    for batch in batches:
        await store.save_many(batch)
    return store


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the records tables as SQLite stores it, types included."""
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(
                f"SELECT *, {', '.join(f'typeof({c})' for c in columns(connection, table))}"
                f" FROM {table} ORDER BY {order}"
            ).fetchall()
            for table, order in TABLES.items()
        }


def columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


async def test_rows_written_on_the_cursor_are_those_sqlalchemy_writes(tmp_path: Path) -> None:
    stores, written = {}, batches()
    for way in ("cursor", "sqlalchemy"):
        url = f"sqlite+aiosqlite:///{tmp_path / way}.db"
        stores[way] = await write(url, written, on_cursor=way == "cursor")
    try:
        on_cursor, through_sqlalchemy = (
            rows(tmp_path / "cursor.db"),
            rows(tmp_path / "sqlalchemy.db"),
        )
        # agent_days: a1's finished day, copied when a record of the next day came.
        assert [len(on_cursor[t]) for t in TABLES] == [3, 5, 2, 2, 1]
        assert on_cursor == through_sqlalchemy
        # And read back through the stores, as a restart and the reports read them.
        cursor, other = stores["cursor"], stores["sqlalchemy"]
        for contact_id in ("c-full", "c-bare", "c-late"):
            read = await cursor.contacts.get(contact_id)
            assert read is not None
            assert read == await other.contacts.get(contact_id)
        assert await cursor.contacts.get("c-full") == written[1][1]
        late = await cursor.contacts.get("c-late")
        assert late is not None
        assert late.outcome is Outcome.ABANDONED  # the older snapshot did not undo the end
        assert await cursor.agents.load() == await other.agents.load()
        ids = ["c-full", "c-late"]
        assert await cursor.wrap_ups.seconds_by_contact(ids) == {"c-full": 41.5, "c-late": 0.0}
    finally:
        for store in stores.values():
            await store.close()
            await store.engine.dispose()


async def test_a_failing_batch_on_the_cursor_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    store = await write(url, [], on_cursor=True)
    try:
        naive = lunch("a9", at=T0.replace(tzinfo=None))
        with pytest.raises(ValueError, match="naive datetime"):
            await store.save_many([arrived("c-1"), naive])
        assert await store.contacts.get("c-1") is None
        await store.save_many([arrived("c-2")])  # the thread's connection is usable again
        assert await store.contacts.get("c-2") is not None
    finally:
        await store.close()
        await store.engine.dispose()


@pytest.mark.parametrize(
    "moment",
    [
        T0,  # UTC, no microseconds: still six digits, as SQLAlchemy stores them
        T0.replace(microsecond=5),
        T0.astimezone(BRUSSELS_SUMMER).replace(microsecond=999_999),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_time_is_bound_on_sqlite_as_sqlalchemys_datetime_stores_it(moment: datetime) -> None:
    # UtcDateTime's one-call text on SQLite against the decorator-then-DATETIME way it replaced.
    dialect = sqlite_dialect.dialect()
    fused = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    stock = sqlite_dialect.DATETIME().bind_processor(dialect)  # type: ignore[no-untyped-call]
    assert fused is not None
    assert stock is not None
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    assert fused(moment) == stock(utc)
    assert fused(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        fused(utc)
