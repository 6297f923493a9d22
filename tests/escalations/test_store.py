"""The store contract, on the in-memory store, SQLite and PostgreSQL alike; and the SQL
store's migrations.  Ids and line codes are unique per test: the PostgreSQL database is shared
by the session."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from escalations.migrate import VERSION_TABLE, migrate
from escalations.schema import Base
from escalations.sql_store import SqlEscalationStore
from escalations.store import EscalationExists, EscalationNotFound, EscalationStore
from foundation.clock import hold_clock
from tests.escalations.factories import change, day_off, jacht
from tests.sql import applied_versions, run_sync

pytestmark = pytest.mark.component


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def test_a_point_is_stored_whole_and_read_back_equal(store: EscalationStore):
    code = unique("code")
    point = jacht(
        id=unique("p"),
        line_codes=(code, unique("other")),
        deviations=(day_off(date(2022, 12, 15)),),
        scheduled_changes=(change(date(2023, 1, 2), phone="02 553 21 00"),),
    )
    await store.create(point)
    assert await store.get(point.id) == point
    assert await store.list(line_code=code) == [point]


async def test_update_replaces_the_point_and_its_line_codes(store: EscalationStore):
    old, new = unique("code"), unique("code")
    point = jacht(id=unique("p"), line_codes=(old,))
    await store.create(point)
    edited = jacht(id=point.id, line_codes=(new,), instructions="Bel eerst.")
    await store.update(edited)
    assert await store.get(point.id) == edited
    assert await store.list(line_code=old) == []
    assert await store.list(line_code=new) == [edited]


async def test_delete_removes_it(store: EscalationStore):
    code = unique("code")
    point = jacht(id=unique("p"), line_codes=(code,))
    await store.create(point)
    await store.delete(point.id)
    assert await store.get(point.id) is None
    assert await store.list(line_code=code) == []


async def test_unknown_ids_and_taken_ids_are_refused(store: EscalationStore):
    point = jacht(id=unique("p"), line_codes=(unique("code"),))
    await store.create(point)
    with pytest.raises(EscalationExists):
        await store.create(point)
    missing = unique("missing")
    with pytest.raises(EscalationNotFound):
        await store.update(jacht(id=missing))
    with pytest.raises(EscalationNotFound):
        await store.delete(missing)


async def test_seeding_adds_only_the_points_not_there_yet(store: EscalationStore):
    code = unique("code")
    edited = jacht(id=unique("p"), line_codes=(code,), instructions="edited through the API")
    await store.create(edited)
    from_config = jacht(id=edited.id, line_codes=(code,))
    fresh = jacht(id=unique("p"), line_codes=(code,))
    assert await store.seed([from_config, fresh]) == [fresh.id]
    assert await store.get(edited.id) == edited  # the edit is kept
    assert await store.seed([from_config, fresh]) == []
    assert {p.id for p in await store.list(line_code=code)} == {edited.id, fresh.id}


def _schema_drift(connection: Connection) -> list[object]:
    ours = set(Base.metadata.tables)

    def only_ours(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        return kind != "table" or name in ours

    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "include_name": only_ours}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrating_twice_is_a_no_op_and_the_models_match(db_url: str):
    async with SqlEscalationStore.open(db_url, hold=hold_clock) as store:
        point = jacht(id=unique("p"), line_codes=(unique("code"),))
        await store.create(point)
        await migrate(db_url, hold=hold_clock)
        assert await store.get(point.id) == point
    assert await applied_versions(db_url, VERSION_TABLE) == ["0002"]
    assert await run_sync(db_url, _schema_drift) == []
