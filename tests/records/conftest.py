"""Every records test runs twice: on a fresh SQLite file and on a real PostgreSQL database.

One PostgreSQL database is created per test session and per xdist worker, migrated once, and
dropped at the end; tests share it and stay apart by using unique contact ids and lines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd.records import ContactStore, migrate
from tests import postgres


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL, once per backend."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    postgres.run_outside_test_loop(migrate(url))
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[ContactStore]:
    async with ContactStore.open(db_url) as opened:
        yield opened
