"""Issue 16, item 5: Redis restarts mid-traffic (a redis-server of the test's own, with
persistence).  While it is away the node stops offering (it could not reserve, and its lease
could lapse), retries with backoff, and when it has renewed again it reasserts its reservations
from its own memory and offers again: every caller is served, nothing is lost, the outage is
logged once each way and counted once.  A Redis that comes back empty (no persistence, or
flushed) is rebuilt the same way at the next renewal."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from acd.state import RedisStateStore
from emulator import EndpointBehaviour
from emulator.scripts import Mode
from foundation.clock import hold_clock
from foundation.contact import Activity, Outcome
from tests.redis_server import RedisServer
from tests.system.harness import System, system

NODE = "node-a"
Store = RedisStateStore


@asynccontextmanager
async def _on_own_redis(
    tmp_path: Path,
) -> AsyncIterator[tuple[System, RedisServer, RedisStateStore]]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    client = Redis.from_url(server.url, decode_responses=True)
    behaviours = {
        "1001": EndpointBehaviour(Mode.ANSWER, 1.0),
        "1002": EndpointBehaviour(Mode.ANSWER, 40.0),  # rings through the outage
    }
    overrides = {
        "redis.url": server.url,
        "redis.node_id": NODE,
        "engine.ring_timeout_s": "60",
        "engine.wrap_up_s": "2",
    }
    try:
        async with system(tmp_path, behaviours, overrides=overrides) as s:
            yield s, server, RedisStateStore(client, hold=hold_clock)
    finally:
        await client.aclose()
        server.stop()


def _held(s: System) -> dict[str, str]:
    return {a.id: a.contact_id for a in s.engine.runtime.view.agents.values() if a.contact_id}


async def _reserved(store: RedisStateStore) -> dict[str, tuple[str, str]]:
    found = {}
    for agent in ("1001", "1002", "1003"):
        held = await store.reservation(agent)
        if held is not None:
            found[agent] = (held.contact_id, held.node_id)
    return found


def _redis_metric(s: System, family: str) -> float:
    for line in s.engine.metrics.render().decode().splitlines():
        if line.startswith(family + "{") and 'dependency="redis"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{family} not on /metrics")


async def test_a_redis_restart_mid_traffic_loses_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with _on_own_redis(tmp_path) as (s, server, store):
        s.login("1001", "1002")
        talking = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(talking) is not None)
        ringing = s.emu.pbx.place_call("1700")
        await s.until(lambda: len(_held(s)) == 2)
        queued = s.emu.pbx.place_call("1700")
        await s.until(lambda: len(s.engine.core.contacts) == 3)
        before = await _reserved(store)
        assert before == {a: (c, NODE) for a, c in _held(s).items()}

        caplog.set_level(logging.INFO)
        server.stop()
        await s.until(lambda: s.engine.core.offers_paused, timeout_s=10)  # first failed renewal
        first_agent = s.bridged_agent(talking)
        assert first_agent is not None
        s.emu.pbx.hangup_from_phone(talking)  # its agent wraps up and is free...
        await s.wait(30)  # ...but is offered nothing while Redis is away, longer than the lease
        assert s.agent(first_agent).activity is Activity.IDLE
        assert s.emu.pbx.bridged_with(queued) == []
        assert _redis_metric(s, "acd_dependency_up") == 0.0
        server.start()  # with what it had on disk
        with hold_clock():
            await store.client.connection_pool.disconnect()  # the test's own, now dead
        await s.until(lambda: not s.engine.core.offers_paused, timeout_s=30)

        await s.until(lambda: s.bridged_agent(queued) == first_agent)  # offers again
        await s.until(lambda: s.bridged_agent(ringing) is not None)  # the ring went on
        assert await _reserved(store) == {a: (c, NODE) for a, c in _held(s).items()}
        for caller in (ringing, queued):
            s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.engine.core.contacts)
        await s.until(lambda: all(s.agent(a).activity is Activity.IDLE for a in ("1001", "1002")))
        records = {r.channel_id: r for r in await s.records()}
        assert {c: records[c].outcome for c in (talking, ringing, queued)} == {
            talking: Outcome.ANSWERED,
            ringing: Outcome.ANSWERED,
            queued: Outcome.ANSWERED,
        }
        assert await _reserved(store) == {}
        assert _redis_metric(s, "acd_dependency_up") == 1.0
        assert _redis_metric(s, "acd_dependency_outages_total") == 1.0
        said = [r.getMessage() for r in caplog.records if r.name == "acd.outages"]
        assert [m.split(":")[0].split(" after")[0] for m in said] == [
            "redis outage began",
            "redis outage over",
        ]


async def test_a_redis_that_comes_back_empty_is_rebuilt_from_the_node(tmp_path: Path) -> None:
    async with _on_own_redis(tmp_path) as (s, _, store):
        s.login("1001", "1002")
        talking = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(talking) is not None)
        s.emu.pbx.place_call("1700")
        await s.until(lambda: len(_held(s)) == 2)
        with hold_clock():
            await store.client.flushall()  # every key gone, the node none the wiser
        assert await _reserved(store) == {}
        await s.wait(6)  # the next renewal finds the node forgotten, and rebuilds
        assert [n.node_id for n in await store.nodes()] == [NODE]
        assert await _reserved(store) == {a: (c, NODE) for a, c in _held(s).items()}
        # The pool too: the logged-in agents are back, as SQL's agent_states have them.
        with hold_clock():
            for agent_id in ("1001", "1002"):
                shared = await store.agent(agent_id)
                assert shared is not None, agent_id
                assert shared.presence == "available", agent_id
