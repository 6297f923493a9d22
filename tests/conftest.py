"""Every async test runs on a VirtualTimeLoop: timers fire in virtual time, real loopback
sockets still work, and no test waits for a timer in real seconds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from acd.records import migrate
from foundation.clock import VirtualTimeLoop
from tests import postgres

# CI shares 2 cores with PostgreSQL and parallel workers: time per example says nothing about
# correctness there, so no per-example deadline (the example counts stay each test's own).
settings.register_profile("acd", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("acd")


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    return {"virtual": VirtualTimeLoop}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session and xdist worker."""
    yield from postgres.fresh_database("acd_records_test", migrate)
