"""Every async test runs on a VirtualTimeLoop: timers fire in virtual time, real loopback
sockets still work, and no test waits for a timer in real seconds."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from acd.clock import VirtualTimeLoop
from acd.records import migrate
from tests import postgres


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    return {"virtual": VirtualTimeLoop}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session and xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"acd_records_test_{worker}_{os.getpid()}_{secrets.token_hex(4)}"
    postgres.run_outside_test_loop(postgres.admin(f'CREATE DATABASE "{name}"'))
    url = postgres.url_for(name)
    try:
        postgres.run_outside_test_loop(migrate(url))
        yield url
    finally:
        postgres.run_outside_test_loop(
            postgres.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )
