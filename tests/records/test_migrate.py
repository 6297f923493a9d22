from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from acd.records import AgentStateStore, ContactStore, migrate
from acd.records.migrate import VERSION_TABLE, alembic_config
from acd.records.schema import Base
from foundation.clock import hold_clock
from tests.records.contacts import arrived
from tests.sql import applied_versions, run_sync


def _schema_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return list(compare_metadata(context, Base.metadata))


async def test_migrating_twice_is_a_no_op(db_url: str):
    record = arrived()
    async with ContactStore.open(db_url, hold=hold_clock) as store:
        await store.save(record)
        await migrate(db_url, hold=hold_clock)
        assert await store.get(record.id) == record
    assert await applied_versions(db_url, VERSION_TABLE) == ["0009"]


async def test_a_database_of_an_earlier_release_is_upgraded_and_keeps_its_contacts(
    tmp_path: Path,
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await migrate(url, "0001", hold=hold_clock)
    record = arrived()
    # Written as that release wrote it: only the columns it had.
    columns = ("id", "channel_id", "line", "caller_number", "arrived_at")
    arrived_at = record.arrived_at.isoformat(" ")
    values = (record.id, record.channel_id, record.line, record.caller_number, arrived_at)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(f"INSERT INTO contacts ({', '.join(columns)}) VALUES (:v0, :v1, :v2, :v3, :v4)"),
            {f"v{i}": value for i, value in enumerate(values)},
        )
    await engine.dispose()
    await migrate(url, hold=hold_clock)
    async with ContactStore.open(url, hold=hold_clock) as store:
        assert await store.get(record.id) == record
    async with AgentStateStore.open(url, hold=hold_clock) as agents:
        assert await agents.load() == []
    assert await applied_versions(url, VERSION_TABLE) == ["0009"]


async def test_the_models_match_the_migrations(db_url: str):
    assert await run_sync(db_url, _schema_drift) == []


async def test_migrate_creates_the_sqlite_directory(tmp_path: Path):
    path = tmp_path / "var" / "acd" / "records.db"
    await migrate(f"sqlite+aiosqlite:///{path}", hold=hold_clock)
    assert path.is_file()


@pytest.mark.unit
def test_the_migrations_are_found_by_package_path():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0009"]
