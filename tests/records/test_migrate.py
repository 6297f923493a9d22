from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from acd.clock import hold_clock
from acd.records import ContactStore, migrate
from acd.records.engine import create_engine
from acd.records.migrate import VERSION_TABLE, alembic_config
from acd.records.schema import Base
from tests.records.contacts import arrived


async def _run_sync(url: str, work):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with hold_clock():
            async with engine.connect() as connection:
                return await connection.run_sync(work)
    finally:
        await engine.dispose()


def _versions(connection: Connection) -> list[str]:
    return list(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _schema_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return list(compare_metadata(context, Base.metadata))


async def test_migrating_twice_is_a_no_op(db_url: str):
    record = arrived()
    async with ContactStore.open(db_url) as store:
        await store.save(record)
        await migrate(db_url)
        assert await store.get(record.id) == record
    assert await _run_sync(db_url, _versions) == ["0001"]


async def test_the_models_match_the_migrations(db_url: str):
    assert await _run_sync(db_url, _schema_drift) == []


async def test_migrate_creates_the_sqlite_directory(tmp_path: Path):
    path = tmp_path / "var" / "acd" / "records.db"
    await migrate(f"sqlite+aiosqlite:///{path}")
    assert path.is_file()


def test_the_migrations_are_found_by_package_path():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0001"]
