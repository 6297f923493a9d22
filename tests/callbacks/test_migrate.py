"""The callback migrations: their own version table, a no-op when run again, and the models
match them on both backends; they live beside the contact records in one database."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from acd.records import migrate as migrate_records
from callbacks.migrate import VERSION_TABLE, alembic_config, migrate
from callbacks.schema import Base
from callbacks.store import CallbackStore
from foundation.clock import hold_clock
from tests.callbacks.factories import DUE, MORNING, key, number
from tests.sql import applied_versions, run_sync


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
    async with CallbackStore.open(db_url, hold=hold_clock) as store:
        callback, _ = await store.request(number(), "1700", "x", None, MORNING, DUE, key())
        await migrate(db_url, hold=hold_clock)
        assert await store.get(callback.id) == callback
    assert await applied_versions(db_url, VERSION_TABLE) == ["0001"]


async def test_the_models_match_the_migrations(db_url: str):
    assert await run_sync(db_url, _schema_drift) == []


async def test_callbacks_and_contact_records_share_a_database(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"
    await migrate(url, hold=hold_clock)
    await migrate_records(url)
    tables = await run_sync(url, _tables)
    assert {"callbacks", "callback_attempts", "callback_requests", "contacts"} <= tables
    assert {VERSION_TABLE, "acd_records_alembic_version"} <= tables
    assert await run_sync(url, _schema_drift) == []


@pytest.mark.unit
def test_the_migrations_are_found_by_package_path():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0001"]
