"""Every records test runs twice: on a fresh SQLite file and on a real PostgreSQL database.

One PostgreSQL database is created per test session and per xdist worker, migrated once, and
dropped at the end; tests share it and stay apart by using unique contact ids and lines.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from acd.records import ContactStore, migrate

# The maintenance database we connect to in order to create and drop the test databases.
PG_MAINTENANCE_URL = os.environ.get(
    "ACD_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(sqlalchemy_url: str, database: str) -> str:
    return sqlalchemy_url.rsplit("/", 1)[0] + "/" + database


def run_outside_test_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up work to completion on a loop of its own, in a thread, leaving the calling
    thread's event loop (and pytest-asyncio's bookkeeping of it) untouched."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    dsn = _asyncpg_dsn(PG_MAINTENANCE_URL)
    try:
        connection = await asyncpg.connect(dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {dsn} ({exc!r}). These tests need a real server:"
            " start it (CI does) or point ACD_TEST_PG_URL at one.",
            pytrace=False,
        )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session and xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"acd_records_test_{worker}_{os.getpid()}_{secrets.token_hex(4)}"
    run_outside_test_loop(_admin(f'CREATE DATABASE "{name}"'))
    url = _with_database(PG_MAINTENANCE_URL, name)
    try:
        run_outside_test_loop(migrate(url))
        yield url
    finally:
        run_outside_test_loop(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL, once per backend."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    run_outside_test_loop(migrate(url))
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[ContactStore]:
    async with ContactStore.open(db_url) as opened:
        yield opened
