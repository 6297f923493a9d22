"""Every lease store test runs twice: on a fresh SQLite file and on a real PostgreSQL database
of the lease's own (tests stay apart by unique keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from acd.lease import LeaseStore, migrate
from foundation.clock import hold_clock
from tests import postgres, sql


@pytest.fixture(scope="session")
def lease_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the lease table, for this session and worker."""
    yield from postgres.fresh_database("acd_lease_test", migrate)


db_url = sql.db_url_fixture(
    postgres_fixture="lease_postgres_url", sqlite_file="lease.db", migrate=migrate
)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[LeaseStore]:
    async with LeaseStore.open(db_url, hold=hold_clock) as opened:
        yield opened
