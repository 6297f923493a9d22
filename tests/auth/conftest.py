from __future__ import annotations

from collections.abc import Iterator

import pytest

from acd.auth.migrate import migrate
from tests import postgres, sql


@pytest.fixture(scope="session")
def auth_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the auth tables, for this session and worker."""
    yield from postgres.fresh_database("acd_auth_test", migrate)


db_url = sql.db_url_fixture(
    postgres_fixture="auth_postgres_url", sqlite_file="auth.db", migrate=migrate
)
