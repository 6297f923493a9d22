"""The lease rules in SQL on SQLite and PostgreSQL, engines racing for one lease, and the
lease migrations (own version table, a no-op when run again, the table as described)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from acd.lease import Holder, LeaseStore, migrate
from acd.lease.migrate import VERSION_TABLE
from acd.lease.rules import Leases
from acd.lease.schema import METADATA
from foundation.clock import hold_clock
from tests.lease.scenarios import SCENARIOS, TTL, at, new_key
from tests.sql import applied_versions, run_sync


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
async def test_rules(store: LeaseStore, scenario: Callable[[Leases], Awaitable[None]]) -> None:
    await scenario(store)


@pytest.mark.parametrize("take_over", [False, True], ids=["free", "expired"])
async def test_of_engines_starting_together_exactly_one_wins(db_url: str, take_over: bool) -> None:
    """Each contender has an engine (a connection pool) of its own, like separate processes."""
    key = new_key()
    if take_over:  # an expired holder: the race is over the UPDATE branch
        async with LeaseStore.open(db_url, hold=hold_clock) as store:
            await store.acquire(key, Holder("crashed", "h", 1), at(0), TTL, take_over=False)
    contenders = [Holder(f"owner-{n}", "h", n) for n in range(6)]

    async def contend(holder: Holder) -> bool:
        async with LeaseStore.open(db_url, hold=hold_clock) as store:
            won, _ = await store.acquire(key, holder, at(60), TTL, take_over=False)
            return won

    results = await asyncio.gather(*(contend(h) for h in contenders))
    assert sum(results) == 1
    async with LeaseStore.open(db_url, hold=hold_clock) as store:
        lease = await store.get(key)
    assert lease is not None
    assert lease.holder == contenders[results.index(True)]


def _drift(connection: Connection) -> list[object]:
    ours = set(METADATA.tables)

    def only_ours(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        return kind != "table" or name in ours

    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "include_name": only_ours}
    )
    return list(compare_metadata(context, METADATA))


async def test_migrations_match_the_table_and_run_again_as_a_no_op(db_url: str) -> None:
    assert await applied_versions(db_url, VERSION_TABLE) == ["0001"]
    await migrate(db_url, hold=hold_clock)
    assert await applied_versions(db_url, VERSION_TABLE) == ["0001"]
    assert await run_sync(db_url, _drift) == []
