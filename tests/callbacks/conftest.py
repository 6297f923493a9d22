"""Every store test runs twice: on a fresh SQLite file and on a real PostgreSQL database.

The callbacks get a PostgreSQL database of their own per session and xdist worker (not the
contact records' one, whose schema test would take our tables for drift), migrated once and
dropped at the end; tests share it and stay apart by using unique numbers and lines.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from callbacks.migrate import migrate
from callbacks.store import CallbackStore
from tests import postgres


@pytest.fixture(scope="session")
def callbacks_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the callback tables, for this session and worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"acd_callbacks_test_{worker}_{os.getpid()}_{secrets.token_hex(4)}"
    postgres.run_outside_test_loop(postgres.admin(f'CREATE DATABASE "{name}"'))
    url = postgres.url_for(name)
    try:
        postgres.run_outside_test_loop(migrate(url))
        yield url
    finally:
        postgres.run_outside_test_loop(
            postgres.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL, once per backend."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("callbacks_postgres_url")
        return url
    url = f"sqlite+aiosqlite:///{tmp_path / 'callbacks.db'}"
    postgres.run_outside_test_loop(migrate(url))
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[CallbackStore]:
    async with CallbackStore.open(db_url) as opened:
        yield opened
