"""The outbox tests run on a fresh SQLite file and on a PostgreSQL database of the outbox's own
(per session and xdist worker); tests stay apart by unique request keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from escalations.mail import MailOutboxStore, migrate
from foundation.clock import hold_clock
from tests import postgres, sql


@pytest.fixture(scope="session")
def mail_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the outbox table, for this session and worker."""
    yield from postgres.fresh_database("acd_mail_test", migrate)


db_url = sql.db_url_fixture(
    postgres_fixture="mail_postgres_url", sqlite_file="mail.db", migrate=migrate
)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[MailOutboxStore]:
    async with MailOutboxStore.open(db_url, hold=hold_clock) as opened:
        yield opened


@pytest.fixture
async def outbox_store(tmp_path: Path) -> AsyncIterator[MailOutboxStore]:
    """An outbox of this test alone (a fresh SQLite file), for the sender tests, which count
    every mail waiting in the store (the shared PostgreSQL database holds other tests' ones)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    await migrate(url, hold=hold_clock)
    async with MailOutboxStore.open(url, hold=hold_clock) as opened:
        yield opened
