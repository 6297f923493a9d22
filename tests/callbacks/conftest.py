"""Every store test runs twice: on a fresh SQLite file and on a real PostgreSQL database.

The callbacks get a PostgreSQL database of their own per session and xdist worker (not the
contact records' one, whose schema test would take our tables for drift), migrated once and
dropped at the end; tests share it and stay apart by using unique numbers and lines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from callbacks.migrate import migrate
from callbacks.store import CallbackStore
from foundation.clock import hold_clock
from tests import postgres, sql


@pytest.fixture(scope="session")
def callbacks_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the callback tables, for this session and worker."""
    yield from postgres.fresh_database("acd_callbacks_test", migrate)


db_url = sql.db_url_fixture(
    postgres_fixture="callbacks_postgres_url", sqlite_file="callbacks.db", migrate=migrate
)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[CallbackStore]:
    async with CallbackStore.open(db_url, hold=hold_clock) as opened:
        yield opened
