"""The engine as a node on the shared state: it reserves agents in Redis, holds a lease, and
lists the nodes at GET /api/nodes; a node that stops renewing is reaped."""

from __future__ import annotations

from redis.asyncio import Redis

from acd.state import RedisStateStore
from emulator import EndpointBehaviour
from foundation.clock import hold_clock
from foundation.contact import Activity
from tests.state.conftest import REDIS_URL, drop_prefix, unique_prefix
from tests.system.harness import START, system


async def test_one_node_without_redis_lists_itself(tmp_path):
    async with system(tmp_path) as s:
        status, body = await s.api("GET", "/api/nodes")
        assert status == 200
        assert (body["shared_state"], body["this_node"], body["lease_ttl_s"]) == (
            "memory",
            "local",
            None,
        )
        [node] = body["nodes"]
        assert (node["node_id"], node["calls"], node["reservations"]) == ("local", 0, 0)


async def test_a_node_reserves_in_redis_and_reaps_a_node_gone_quiet(tmp_path):
    prefix = unique_prefix()
    overrides = {
        "redis.url": REDIS_URL,
        "redis.node_id": "node-a",
        "redis.key_prefix": prefix,
    }
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    other = RedisStateStore(client, prefix, hold=hold_clock)
    try:
        behaviours = {"1001": EndpointBehaviour.ring_forever()}
        async with system(tmp_path, behaviours, overrides=overrides) as s:
            # node-b joined at the same moment, reserved an agent, then went quiet (killed).
            now = s.engine.clock.now().timestamp()
            await other.renew("node-b", now, 1)
            assert await other.reserve("1003", "c-on-node-b", "node-b")

            s.login("1001")
            s.emu.pbx.place_call("1700")
            await s.until(lambda: s.agent("1001").activity is Activity.RINGING)
            [contact_id] = s.engine.core.contacts
            held = await other.reservation("1001")
            assert held is not None
            assert (held.contact_id, held.node_id) == (contact_id, "node-a")

            status, body = await s.api("GET", "/api/nodes")
            assert status == 200
            assert (body["shared_state"], body["this_node"], body["lease_ttl_s"]) == (
                "redis",
                "node-a",
                15.0,
            )
            nodes = {n["node_id"]: n for n in body["nodes"]}
            assert (nodes["node-a"]["calls"], nodes["node-a"]["reservations"]) == (1, 1)
            assert (nodes["node-b"]["calls"], nodes["node-b"]["reservations"]) == (1, 1)
            assert nodes["node-b"]["started_at"] == START.isoformat()

            await s.wait(21)  # node-a renews every 5 s: at 20 s node-b is 20 s old
            _, body = await s.api("GET", "/api/nodes")
            assert [n["node_id"] for n in body["nodes"]] == ["node-a"]
            assert body["nodes"][0]["lease_age_s"] <= 5.0
            assert await other.reservation("1003") is None  # released with its node
            assert await other.reservation("1001") is not None  # still ringing here
        # The engine stopped: it left, and its reservation went with it.
        assert await other.nodes() == []
        assert await other.reservation("1001") is None
    finally:
        await drop_prefix(client, other.keys.pattern())
        await client.aclose()
