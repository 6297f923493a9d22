"""Two nodes, as two processes, race over 10,000 contacts and three agents on the real Redis:
no agent is offered twice, and every contact is served exactly once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from acd.state import RedisStateStore
from foundation.clock import hold_clock
from tests.state.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 10_000
AGENTS = ("a1", "a2", "a3")


def _node(prefix: str, node_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.state.race_node",
            REDIS_URL,
            prefix,
            node_id,
            "1700",
            *AGENTS,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> dict[str, int]:
    out, _ = process.communicate(timeout=300)
    assert process.returncode == 0
    result: dict[str, int] = json.loads(out)
    return result


async def test_two_nodes_never_offer_an_agent_twice_nor_lose_a_contact(
    redis_stores: Callable[[], RedisStateStore],
) -> None:
    store = redis_stores()
    for n in range(CONTACTS):
        await store.enqueue(f"c{n}", "1700", 0, float(n), "entry")
    assert len(await store.waiting("1700")) == CONTACTS

    processes = [_node(store.keys.prefix, node) for node in ("node-a", "node-b")]
    a, b = [await asyncio.to_thread(_result, p) for p in processes]

    assert a["doubles"] == b["doubles"] == 0
    assert a["served"] + b["served"] == CONTACTS
    assert a["served"] > 0
    assert b["served"] > 0
    assert a["lost_races"] + b["lost_races"] > 0  # they did collide: the race was real
    with hold_clock():
        served = Counter(await store.client.lrange(store.keys.prefix + "race-served", 0, -1))
    assert set(served) == {f"c{n}" for n in range(CONTACTS)}  # nobody lost
    assert set(served.values()) == {1}  # nobody served twice
    assert await store.waiting("1700") == []
    for agent in AGENTS:
        assert await store.reservation(agent) is None


POOL_CONTACTS = 1_000  # per node


def _pool_node(prefix: str, node_id: str, logs_in: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.state.race_pool_node",
            REDIS_URL,
            prefix,
            node_id,
            str(POOL_CONTACTS),
            "1" if logs_in else "0",
            *AGENTS,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


async def test_two_nodes_on_one_agent_pool_never_offer_an_agent_twice_nor_lose_a_contact(
    redis_stores: Callable[[], RedisStateStore],
) -> None:
    """The whole shared pool: agent books as replicas fed by the agent feed, routers
    reserving through Redis; the agents log in on node-a only, and node-b serves its own
    contacts with them."""
    store = redis_stores()
    prefix = store.keys.prefix
    processes = [_pool_node(prefix, "node-a", True), _pool_node(prefix, "node-b", False)]
    a, b = [await asyncio.to_thread(_result, p) for p in processes]

    assert a["doubles"] == b["doubles"] == 0
    assert a["served"] == b["served"] == POOL_CONTACTS  # nobody lost
    assert b["applied"] > 0  # node-b knew the agents from the feed only
    assert a["lost_races"] + b["lost_races"] > 0  # they did collide: the race was real
    with hold_clock():
        served = Counter(await store.client.lrange(prefix + "race-served", 0, -1))
    assert len(served) == 2 * POOL_CONTACTS
    assert set(served.values()) == {1}  # nobody served twice
    for agent in AGENTS:
        assert await store.reservation(agent) is None
        shared = await store.agent(agent)
        assert shared is not None
        assert (shared.presence, shared.activity) == ("available", "idle")
