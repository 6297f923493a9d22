"""One node of the shared-pool race (run as a process by test_race.py).

A node as the engine builds it, minus the phones: an agent book and its router (reserving
through :class:`RedisReservations`), and a :class:`SharedPool` replica fed by the agent feed.
The first node logs every agent in; the other learns of them from the pool only.  Each node
queues its own contacts (their callers live on its Asterisk), offers them to whichever agent
its router matches, "talks" a few loop turns and frees the agent, which the other node then
learns from the feed.  An agent's live-call counter in Redis, apart from everything under test,
catches a double offer: it must read 1 after each increment.  Prints one JSON line.

    python -m tests.state.race_pool_node URL PREFIX NODE_ID CONTACTS LOGS_IN AGENT...
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from datetime import UTC, datetime

from redis import Redis as SyncRedis
from redis.asyncio import Redis

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.agents import AgentBook
from acd.engine.model import AgentConfig, EngineConfig, LineConfig
from acd.state import RedisStateStore
from acd.state.pool import SharedPool
from acd.state.reservations import RedisReservations
from foundation.contact import Activity, AgentEvent
from skills import Router

LINE_CODE = "X"
WAITING = 5  # contacts a node keeps waiting at once


def _now() -> datetime:
    return datetime.now(UTC)


async def run(  # noqa: C901 (one node's whole life, read top to bottom)
    url: str, prefix: str, node_id: str, contacts: int, logs_in: bool, agents: list[str]
) -> dict[str, int]:
    config = EngineConfig(
        lines=(LineConfig("L", "L", ("L",), (LINE_CODE,), LINE_CODE),),
        agents=tuple(AgentConfig(a, a, f"PJSIP/{a}", {LINE_CODE: 1}) for a in agents),
        wrap_up_s=0.0,
    )
    sync_client = SyncRedis.from_url(url, decode_responses=True)
    reservations = RedisReservations(sync_client, node_id, prefix)
    router = Router(config.routing, reservations)
    book = AgentBook(config, router)
    client = Redis.from_url(url, decode_responses=True)
    store = RedisStateStore(client, prefix)
    rng = random.Random(node_id)

    def publish(out: list[cmd.Command]) -> None:
        for command in out:
            if isinstance(command, cmd.Emit) and isinstance(command.event, AgentEvent):
                pool.agent_event(command.event)

    changed = asyncio.Event()  # something may be offerable now

    def follow(event: inp.Input) -> None:
        assert isinstance(event, inp.AgentShared)
        changed.set()
        out: list[cmd.Command] = []
        book.shared(event, _now(), out)
        publish(out)

    pool = SharedPool(store, node_id, follow, {a: {LINE_CODE: 1} for a in agents}, block_s=1.0)
    pool.apply(await pool.load(), starting=True)
    await pool.start()
    if logs_in:
        out: list[cmd.Command] = []
        for agent_id in agents:
            book.login(inp.AgentLogin(agent_id), _now(), out)
        publish(out)

    served = doubles = 0
    queued = 0
    calls: set[asyncio.Task[None]] = set()

    async def call(agent_id: str, contact_id: str) -> None:
        nonlocal served, doubles
        agent = book.agents[agent_id]
        live = f"{prefix}race-live:{agent_id}"
        if await client.incr(live) != 1:
            doubles += 1
        out: list[cmd.Command] = []
        book.move(agent, _now(), out, activity=Activity.ON_CALL)
        publish(out)
        for _ in range(rng.randint(1, 5)):
            await asyncio.sleep(0)  # the conversation: other work goes on meanwhile
        await client.decr(live)
        await client.rpush(f"{prefix}race-served", contact_id)
        out = []
        book.release(agent, _now(), out, wrap_up=True)  # idle again: the router lets go
        publish(out)
        served += 1
        changed.set()

    deadline = time.monotonic() + 240
    while served < contacts and time.monotonic() < deadline:
        while queued < contacts and queued - served - len(calls) < WAITING:
            router.add_contact(f"{node_id}-c{queued}", LINE_CODE, time.time())
            queued += 1
        for match in router.match(time.time()):
            out = []
            book.reserve(book.agents[match.agent_id], match.contact_id, _now(), out)
            publish(out)
            router.remove_contact(match.contact_id)  # offered: the agent stays reserved
            task = asyncio.create_task(call(match.agent_id, match.contact_id))
            calls.add(task)
            task.add_done_callback(calls.discard)
        if not calls:
            # Every agent busy elsewhere: wait for the feed (no spinning on a shared machine).
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), 0.05)
        await asyncio.sleep(0)
    await asyncio.gather(*calls)
    await pool.stop()
    await client.aclose()
    reservations.close()
    return {
        "served": served,
        "doubles": doubles,
        "lost_races": reservations.lost_races,
        "applied": pool.applied,
    }


def main() -> None:
    url, prefix, node_id, contacts, logs_in, *agents = sys.argv[1:]
    result = asyncio.run(run(url, prefix, node_id, int(contacts), logs_in == "1", agents))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
