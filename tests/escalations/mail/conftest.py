"""The outbox tests run on a fresh SQLite file and on a PostgreSQL database of the outbox's own
(per session and xdist worker); tests stay apart by unique request keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

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
