"""Helpers for the SQL store tests: a migrated database URL per backend, and running
synchronous SQLAlchemy work (inspection, Alembic comparisons) against a URL."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from foundation.clock import hold_clock
from foundation.sql import create_engine
from tests import postgres

T = TypeVar("T")

Migrate = Callable[[str], Coroutine[Any, Any, None]]


def db_url_fixture(*, postgres_fixture: str, sqlite_file: str, migrate: Migrate) -> Any:
    """A ``db_url`` fixture for a conftest: a migrated database URL, once per backend.  On
    PostgreSQL it is the session's database from the fixture named ``postgres_fixture``; on
    SQLite a fresh file named ``sqlite_file`` in the test's ``tmp_path``, brought up to date by
    ``migrate``."""

    @pytest.fixture(
        name="db_url", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
    )
    def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
        if request.param == "postgresql":
            url: str = request.getfixturevalue(postgres_fixture)
            return url
        url = f"sqlite+aiosqlite:///{tmp_path / sqlite_file}"
        postgres.run_outside_test_loop(migrate(url))
        return url

    return db_url


async def run_sync(url: str, work: Callable[[Connection], T]) -> T:
    """``work(connection)`` on a connection of its own to ``url``."""
    engine = create_engine(url)
    try:
        with hold_clock():
            async with engine.connect() as connection:
                return await connection.run_sync(work)
    finally:
        await engine.dispose()


async def applied_versions(url: str, version_table: str) -> list[str]:
    """The revisions recorded in an Alembic version table."""

    def read(connection: Connection) -> list[str]:
        rows = connection.execute(text(f"SELECT version_num FROM {version_table}"))
        return list(rows.scalars())

    return await run_sync(url, read)
