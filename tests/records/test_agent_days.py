"""The agent's time figures of the day in SQL (records migration 0009): stored with the
agent's state and per day in ``agent_days``, read back for a restart and for the report; and
the migration up and down on SQLite and PostgreSQL, keeping an earlier release's rows."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from acd.records import AgentStateStore, migrate
from acd.records.agent_days import AgentDay, AgentDayStore
from acd.records.migrate import VERSION_TABLE, alembic_config
from foundation.clock import hold_clock
from foundation.contact import Activity, AgentRecord, Presence
from tests import postgres
from tests.records.contacts import T0, unique
from tests.records.test_agent_states import lunch, stored
from tests.sql import applied_versions, run_sync

DAY = date(2027, 3, 29)  # lunch()'s stats_day


def with_figures(agent_id: str | None = None, **fields: object) -> AgentRecord:
    record = lunch(
        agent_id,
        presence_seconds_today={"available": 3600.5, "not_available:lunch": 300.0},
        wrap_up_today_s=420.0,
        staffed_today_s=3700.5,
        handling_today_s=2900.25,
        state_since=T0 + timedelta(minutes=5),
        state_activity=Activity.WRAP_UP,
    )
    return dataclasses.replace(record, **fields)  # type: ignore[arg-type]


@pytest.fixture
async def agents(db_url: str) -> AsyncIterator[AgentStateStore]:
    async with AgentStateStore.open(db_url, hold=hold_clock) as opened:
        yield opened


async def days_of(url: str, agent_id: str, first: date, last: date) -> list[AgentDay]:
    async with AgentDayStore.open(url, hold=hold_clock) as store:
        return [d for d in await store.between(first, last) if d.agent_id == agent_id]


async def test_the_days_figures_come_back_with_the_agents_state(
    agents: AgentStateStore, db_url: str
):
    record = with_figures()
    await agents.save_many([record])
    assert await stored(agents, record.agent_id) == [record]
    (day,) = await days_of(db_url, record.agent_id, DAY, DAY)
    assert day == AgentDay(
        agent_id=record.agent_id,
        day=DAY,
        presence=Presence.NOT_AVAILABLE,
        state_activity=Activity.WRAP_UP,
        state_since=T0 + timedelta(minutes=5),
        presence_seconds={"available": 3600.5, "not_available:lunch": 300.0},
        contacts=12,
        talk_time_s=3725.5,
        wrap_up_s=420.0,
        staffed_s=3700.5,
        handling_s=2900.25,
        updated_at=record.at,
    )


async def test_each_day_keeps_its_newest_figures_and_a_report_gets_the_day_before_too(
    agents: AgentStateStore, db_url: str
):
    agent_id = unique("agent")
    friday, monday = date(2027, 3, 26), date(2027, 3, 29)
    for day, staffed in ((friday, 100.0), (friday, 200.0), (monday, 50.0), (monday, 70.0)):
        await agents.save_many([with_figures(agent_id, stats_day=day, staffed_today_s=staffed)])
    # Never counted yet (no day): no day row.
    await agents.save_many([lunch(unique("agent"), stats_day=None)])
    found = await days_of(db_url, agent_id, date(2027, 3, 27), date(2027, 3, 31))
    # Friday's is the last before the period: its stretch may go on into the weekend.
    assert [(d.day, d.staffed_s) for d in found] == [(friday, 200.0), (monday, 70.0)]
    assert [d.day for d in await days_of(db_url, agent_id, monday, monday)] == [friday, monday]
    assert await days_of(db_url, agent_id, date(2027, 3, 1), date(2027, 3, 2)) == []


# ------------------------------------------------------------------ migration 0009 up and down


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def at_0008(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the release before 0009 (on PostgreSQL one of its own, dropped after)."""
    if request.param == "postgresql":
        yield from postgres.fresh_database("acd_records_0009", lambda url: migrate(url, "0008"))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        postgres.run_outside_test_loop(migrate(url, "0008"))
        yield url


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def downgrade(url: str, revision: str) -> None:
    engine = create_async_engine(url)
    try:
        with hold_clock():
            async with engine.begin() as connection:
                await connection.run_sync(_downgrade, revision)
    finally:
        await engine.dispose()


def _shape(connection: Connection) -> tuple[list[str], list[str]]:
    schema = inspect(connection)
    columns = [c["name"] for c in schema.get_columns("agent_states")]
    return columns, sorted(schema.get_table_names())


AGENT_STATES_0003 = [
    "agent_id",
    "presence",
    "reason",
    "presence_since",
    "idle_since",
    "stats_day",
    "contacts_today",
    "talk_time_today_s",
    "missed_in_a_row",
    "updated_at",
]


async def test_migration_0009_up_keeps_earlier_rows_and_down_takes_only_its_own_away(at_0008: str):
    old = lunch()
    engine = create_async_engine(at_0008)
    with hold_clock():
        async with engine.begin() as connection:  # the row as the release before wrote it
            await connection.execute(
                text(
                    "INSERT INTO agent_states (agent_id, presence, reason, presence_since, "
                    "idle_since, stats_day, contacts_today, talk_time_today_s, missed_in_a_row, "
                    "updated_at) VALUES (:a, 'not_available', 'lunch', :since, :idle, :day, 12, "
                    "3725.5, 2, :at)"
                ),
                {
                    "a": old.agent_id,
                    "since": old.presence_since,
                    "idle": old.idle_since,
                    "day": old.stats_day,
                    "at": old.at,
                },
            )
    with hold_clock():
        await engine.dispose()

    await migrate(at_0008, hold=hold_clock)
    assert await applied_versions(at_0008, VERSION_TABLE) == ["0009"]
    async with AgentStateStore.open(at_0008, hold=hold_clock) as agents:
        # No figures stored by that release: zero, and no stretch to count on.
        assert await agents.load() == [old]
        added = with_figures(unique("agent"))
        await agents.save_many([added])
    columns, tables = await run_sync(at_0008, _shape)
    assert "agent_days" in tables
    assert columns == [*AGENT_STATES_0003, *NEW_COLUMNS]

    await downgrade(at_0008, "0008")
    assert await applied_versions(at_0008, VERSION_TABLE) == ["0008"]
    columns, tables = await run_sync(at_0008, _shape)
    assert columns == AGENT_STATES_0003
    assert "agent_days" not in tables
    rows = await run_sync(
        at_0008, lambda c: c.execute(text("SELECT agent_id FROM agent_states")).scalars().all()
    )
    assert sorted(rows) == sorted([old.agent_id, added.agent_id])

    await migrate(at_0008, hold=hold_clock)  # and up again
    async with AgentStateStore.open(at_0008, hold=hold_clock) as agents:
        assert old in await agents.load()


NEW_COLUMNS = [
    "presence_seconds_today",
    "wrap_up_today_s",
    "staffed_today_s",
    "handling_today_s",
    "state_since",
    "state_activity",
]


async def test_a_day_is_kept_when_the_next_days_first_record_has_no_day_yet(
    agents: AgentStateStore, db_url: str
):
    # Logged out on Monday evening; restored on Tuesday, the agent has no day until counted.
    monday = with_figures(presence=Presence.LOGGED_OUT, reason=None)
    tuesday = lunch(monday.agent_id, presence=Presence.LOGGED_OUT, reason=None, stats_day=None)
    await agents.save_many([monday])
    await agents.save_many([tuesday])
    await agents.save_many([tuesday])  # and again: the copy is made once, from a day's state
    (day,) = await days_of(db_url, monday.agent_id, DAY, DAY + timedelta(days=1))
    assert (day.day, day.staffed_s, day.handling_s) == (DAY, 3700.5, 2900.25)
