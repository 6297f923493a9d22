"""One "node" of the reservation race (run as a process by test_race.py).

It takes waiting contacts off the shared queue, reserves an agent for each through the
store's compare-and-set (trying the agents in the same order as the other node, so the two
collide often), "places the call" and releases.  An agent's live-call counter, kept apart from
the reservation, catches a double offer: it must read 1 after each increment.  Prints one
JSON line: contacts served, races lost, double offers seen.

    python -m tests.state.race_node URL PREFIX NODE_ID LINE AGENT...
"""

from __future__ import annotations

import asyncio
import json
import sys

from redis.asyncio import Redis

from acd.state import RedisStateStore


async def run(url: str, prefix: str, node_id: str, line: str, agents: list[str]) -> dict[str, int]:
    client = Redis.from_url(url, decode_responses=True)
    store = RedisStateStore(client, prefix)
    served = lost_races = doubles = 0
    while (contact := await store.take_next(line)) is not None:
        while True:
            agent = None
            for candidate in agents:
                if await store.reserve(candidate, contact.contact_id, node_id):
                    agent = candidate
                    break
                lost_races += 1  # the loser moves on to its next candidate
            if agent is not None:
                break
            await asyncio.sleep(0)  # every agent held: the other node will release one
        live = f"{prefix}race-live:{agent}"
        if await client.incr(live) != 1:
            doubles += 1
        await client.rpush(f"{prefix}race-served", contact.contact_id)
        await client.decr(live)
        if not await store.release(agent, contact.contact_id, node_id):
            doubles += 1  # someone else's reservation would have been undone
        served += 1
    await client.aclose()
    return {"served": served, "lost_races": lost_races, "doubles": doubles}


def main() -> None:
    url, prefix, node_id, line, *agents = sys.argv[1:]
    print(json.dumps(asyncio.run(run(url, prefix, node_id, line, agents))))


if __name__ == "__main__":
    main()
