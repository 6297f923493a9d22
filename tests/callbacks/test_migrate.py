"""The callback migrations: their own version table, a no-op when run again, and the models
match them on both backends; they live beside the contact records in one database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from acd.clock import hold_clock
from acd.records import migrate as migrate_records
from acd.records.engine import create_engine
from callbacks.migrate import VERSION_TABLE, alembic_config, migrate
from callbacks.schema import Base
from callbacks.store import CallbackStore
from tests.callbacks.factories import DUE, MORNING, key, number

T = TypeVar("T")


async def _run_sync(url: str, work: Callable[[Connection], T]) -> T:
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
    ours = set(Base.metadata.tables)

    def only_ours(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        # The database may hold other components' tables (the contact records): not drift.
        return kind != "table" or name in ours

    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "include_name": only_ours}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrating_twice_is_a_no_op(db_url: str):
    async with CallbackStore.open(db_url) as store:
        callback, _ = await store.request(number(), "1700", "x", None, MORNING, DUE, key())
        await migrate(db_url)
        assert await store.get(callback.id) == callback
    assert await _run_sync(db_url, _versions) == ["0001"]


async def test_the_models_match_the_migrations(db_url: str):
    assert await _run_sync(db_url, _schema_drift) == []


async def test_callbacks_and_contact_records_share_a_database(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"
    await migrate(url)
    await migrate_records(url)
    tables = await _run_sync(url, _tables)
    assert {"callbacks", "callback_attempts", "callback_requests", "contacts"} <= tables
    assert {VERSION_TABLE, "acd_records_alembic_version"} <= tables
    assert await _run_sync(url, _schema_drift) == []


def test_the_migrations_are_found_by_package_path():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0001"]
