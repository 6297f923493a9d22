"""Every records test runs twice: on a fresh SQLite file and on a real PostgreSQL database.

One PostgreSQL database is created per test session and per xdist worker, migrated once, and
dropped at the end; tests share it and stay apart by using unique contact ids and lines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.records import ContactStore, migrate
from foundation.clock import hold_clock
from tests import sql

db_url = sql.db_url_fixture(
    postgres_fixture="postgres_url", sqlite_file="records.db", migrate=migrate
)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[ContactStore]:
    async with ContactStore.open(db_url, hold=hold_clock) as opened:
        yield opened
