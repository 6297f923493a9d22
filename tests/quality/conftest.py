"""The quality tables on a fresh SQLite file and on a PostgreSQL database of their own per
session and xdist worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acd.quality.migrate import migrate
from tests import postgres, sql


@pytest.fixture(scope="session")
def quality_postgres_url() -> Iterator[str]:
    yield from postgres.fresh_database("acd_quality_test", migrate)


db_url = sql.db_url_fixture(
    postgres_fixture="quality_postgres_url", sqlite_file="quality.db", migrate=migrate
)
