"""``acd demo --nodes 2`` shortened: two engine nodes, each with its own emulated Asterisk, on
one agent pool in the machine's Redis (a key prefix of its own, deleted afterwards)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from acd.demo_nodes import NodesOptions, run_nodes_demo
from tests.state.conftest import REDIS_URL, unique_prefix

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_two_nodes_share_their_agents_with_no_double_offer_and_nothing_lost() -> None:
    prefix = unique_prefix()
    summary = run_nodes_demo(
        CONFIG, NodesOptions(redis_url=REDIS_URL, minutes=20, key_prefix=prefix)
    )
    assert summary["double_offers"] == 0
    assert summary["lost"] == 0
    assert summary["orphan_agent_legs"] == 0
    node_1, node_2 = summary["per_node"]["node-1"], summary["per_node"]["node-2"]
    assert node_1["answered"] > 0
    assert node_2["answered"] > 0
    # Agents logged in through one node and were offered by the other: the pool is shared.
    assert node_1["answered_by_agents_of_other_nodes"] > 0
    assert node_2["answered_by_agents_of_other_nodes"] > 0
    assert summary["answered"] + summary["abandoned"] <= summary["offered"]
    assert summary["agent_occupancy"] > 0.5  # a load where agents are mostly busy
    # Each agent registers their calls through the node they logged in through; those on the
    # other node's calls are forwarded there, and every one closes the contact it showed.
    registrations = summary["registrations"]
    assert registrations["forwarded"] > 0
    assert registrations["here"] > 0
    assert (registrations["refused"], registrations["wrong_contact"]) == (0, 0)
    assert node_1["desk_requests_answered"] > 0
    assert node_2["desk_requests_answered"] > 0
    assert asyncio.run(_keys_left(prefix)) == []


async def _keys_left(prefix: str) -> list[str]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return [key async for key in client.scan_iter(match=prefix.replace("{", "\\{") + "*")]
    finally:
        await client.aclose()
