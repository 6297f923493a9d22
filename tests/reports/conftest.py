"""The reports' SQL tests run on a fresh SQLite file and on a PostgreSQL database of their own
(per session and xdist worker) with every table a report reads: contact records, wrap-ups and
report runs, callbacks, escalation points and ratings.  Tests sharing it stay apart by their
own days and names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acd.records import migrate as migrate_records
from callbacks.migrate import migrate as migrate_callbacks
from escalations import migrate as migrate_escalations
from tests import postgres, sql


async def migrate_all(url: str) -> None:
    await migrate_records(url)
    await migrate_callbacks(url)
    await migrate_escalations(url)


@pytest.fixture(scope="session")
def reports_postgres_url() -> Iterator[str]:
    yield from postgres.fresh_database("acd_reports_test", migrate_all)


db_url = sql.db_url_fixture(
    postgres_fixture="reports_postgres_url", sqlite_file="reports.db", migrate=migrate_all
)
