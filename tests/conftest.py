"""Every async test runs on a VirtualTimeLoop: timers fire in virtual time, real loopback
sockets still work, and no test waits for a timer in real seconds."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
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


# ------------------------------------------------------------------------------ test tiers
# Each test is in exactly one tier, so `pytest -m unit|component|system` runs one alone:
#   unit       pure: no sockets, servers or databases (config files in tmp_path are fine);
#   component  one component against something real: PostgreSQL, Redis, SQLite files, or a
#              loopback HTTP server (the emulator alone, the API, the ARI client's fake server);
#   system     the engine and the emulator together over real HTTP and WebSocket.
# A test or module may name its tier (pytestmark / a decorator); otherwise its folder's applies.
TIERS = ("unit", "component", "system")
FOLDER_TIERS = {
    "api": "component",
    "auth": "system",
    "ari": "component",
    "calendars": "unit",
    "callbacks": "component",
    "emulator": "component",
    "engine": "unit",
    "escalations": "unit",
    "ivr": "unit",
    "lease": "component",
    "quality": "component",
    "records": "component",
    "reports": "unit",
    "settings": "unit",
    "skills": "unit",
    "sla": "unit",
    "state": "component",
    "realpbx": "system",
    "system": "system",
    "web": "system",  # the workspace's pages in Chromium against the engine and the emulator
}
# Fixtures that stand for a server or a database: a unit test asking for one is in the wrong
# tier.
COMPONENT_FIXTURES = frozenset(
    {
        "emu",
        "ari",
        "fake",
        "client",
        "store",
        "db_url",
        "postgres_url",
        "callbacks_postgres_url",
        "escalations_postgres_url",
        "auth_postgres_url",
        "lease_postgres_url",
        "mail_postgres_url",
        "outbox_store",
        "reports_postgres_url",
        "state_store",
        "redis_client",
        "quality_postgres_url",
    }
)
TESTS = Path(__file__).resolve().parent


def _tier(item: pytest.Item) -> str:
    named = {m.name for m in item.iter_markers() if m.name in TIERS}
    if len(named) > 1:
        raise pytest.UsageError(f"{item.nodeid}: in more than one tier {sorted(named)}")
    if named:
        return named.pop()
    folder = item.path.relative_to(TESTS).parts[0]
    if folder not in FOLDER_TIERS:
        raise pytest.UsageError(f"{item.nodeid}: no tier (mark it unit, component or system)")
    return FOLDER_TIERS[folder]


@pytest.hookimpl(tryfirst=True)  # before -m selects by these marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(item)
        servers = COMPONENT_FIXTURES & set(getattr(item, "fixturenames", ()))
        if tier == "unit" and servers:
            raise pytest.UsageError(f"{item.nodeid}: a unit test using {sorted(servers)}")
        item.add_marker(tier)


def _no_network(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a unit test opened a network socket: mark it component or system")


@pytest.fixture(autouse=True)
def _unit_tests_stay_off_the_network(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every server and client (aiohttp, asyncpg, redis) binds or connects a socket.socket;
    # the loop's own self-pipe is a socketpair and needs neither.
    if request.node.get_closest_marker("unit") is not None:
        for method in ("bind", "connect", "connect_ex"):
            monkeypatch.setattr(socket.socket, method, _no_network)
