"""The escalation point stores: the contract runs on the in-memory store, a fresh SQLite file
and a PostgreSQL database of their own per session and xdist worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from escalations.migrate import migrate
from escalations.sql_store import SqlEscalationStore
from escalations.store import EscalationStore, MemoryEscalationStore
from foundation.clock import hold_clock
from tests import postgres, sql


@pytest.fixture(scope="session")
def escalations_postgres_url() -> Iterator[str]:
    yield from postgres.fresh_database("acd_escalations_test", migrate)


db_url = sql.db_url_fixture(
    postgres_fixture="escalations_postgres_url", sqlite_file="escalations.db", migrate=migrate
)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EscalationStore]:
    """The same contract on each: in memory, a fresh SQLite file, the session's PostgreSQL."""
    if request.param == "memory":
        yield MemoryEscalationStore()
        return
    if request.param == "postgresql":
        url: str = request.getfixturevalue("escalations_postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'escalations.db'}"
        await migrate(url, hold=hold_clock)
    async with SqlEscalationStore.open(url, hold=hold_clock) as opened:
        yield opened
