"""The PostgreSQL server the SQL tests run against, and how to create databases on it."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest

from foundation.clock import hold_clock

# The maintenance database we connect to in order to create and drop the test databases.
MAINTENANCE_URL = os.environ.get(
    "ACD_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def url_for(database: str) -> str:
    """The SQLAlchemy URL of another database on the same server."""
    return MAINTENANCE_URL.rsplit("/", 1)[0] + "/" + database


async def admin(statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the maintenance database."""
    dsn = MAINTENANCE_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    with hold_clock():
        try:
            connection = await asyncpg.connect(dsn, timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.fail(
                f"PostgreSQL is not reachable at {dsn} ({exc!r}). These tests need a real"
                " server: start it (CI does) or point ACD_TEST_PG_URL at one.",
                pytrace=False,
            )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()


def run_outside_test_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up work to completion on a loop of its own, in a thread, leaving the calling
    thread's event loop (and pytest-asyncio's bookkeeping of it) untouched."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()


def fresh_database(
    prefix: str, migrate: Callable[[str], Coroutine[Any, Any, None]]
) -> Iterator[str]:
    """A fresh PostgreSQL database for this session and xdist worker, named ``prefix_...`` and
    brought up to date by ``migrate``; dropped when the generator is closed.  Yield from it in a
    session fixture: one database per component, so each one's schema test sees only its own
    tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{prefix}_{worker}_{os.getpid()}_{secrets.token_hex(4)}"
    run_outside_test_loop(admin(f'CREATE DATABASE "{name}"'))
    url = url_for(name)
    try:
        run_outside_test_loop(migrate(url))
        yield url
    finally:
        run_outside_test_loop(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
