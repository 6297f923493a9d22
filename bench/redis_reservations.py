"""Reservations per second through the compare-and-set Lua script, on the machine's Redis
(docs/performance.md, "Reservations in Redis").

Four ways in, each a reserve then a release per contact, on 100 agents:
- ``seam``: the router's synchronous seam (:class:`acd.state.reservations.RedisReservations`),
  one round trip at a time, as one engine node drives it;
- ``async``: :class:`acd.state.RedisStateStore` from one task, one round trip at a time;
- ``async-32``: 32 tasks of one process sharing one connection pool;
- ``contended``: 2 processes x 16 tasks all going for the same 3 agents, the loser moving
  on to the next (the race test's pattern): counts wins and lost races.

    .venv/bin/python bench/redis_reservations.py [--url redis://127.0.0.1:6379/0] [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
import uuid
from typing import Any

from redis import Redis as SyncRedis
from redis.asyncio import Redis

from acd.state import RedisStateStore
from acd.state.reservations import RedisReservations

AGENTS = [f"a{i:03d}" for i in range(100)]


def _prefix() -> str:
    return "{bench-" + uuid.uuid4().hex[:8] + "}:"


def _drop(url: str, prefix: str) -> None:
    client = SyncRedis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def seam(url: str, n: int) -> dict[str, Any]:
    prefix = _prefix()
    reservations = RedisReservations.from_url(url, "node-a", prefix)
    latencies: list[float] = []
    started = time.perf_counter()
    for i in range(n):
        agent = AGENTS[i % len(AGENTS)]
        t0 = time.perf_counter()
        assert reservations.try_reserve(agent, f"c{i}")
        latencies.append(time.perf_counter() - t0)
        reservations.release(agent)
    elapsed = time.perf_counter() - started
    reservations.close()
    _drop(url, prefix)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "reservations_per_s": round(n / elapsed),
        "reserve_p50_ms": round(cuts[49] * 1000, 3),
        "reserve_p99_ms": round(cuts[98] * 1000, 3),
    }


async def _async(url: str, n: int, tasks: int) -> dict[str, Any]:
    prefix = _prefix()
    client = Redis.from_url(url, decode_responses=True, max_connections=tasks + 1)
    store = RedisStateStore(client, prefix)

    async def worker(w: int) -> None:
        agent = AGENTS[w]  # its own agent: every reservation succeeds (uncontended)
        for i in range(w, n, tasks):
            assert await store.reserve(agent, f"c{i}", "node-a")
            await store.release(agent, f"c{i}", "node-a")

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(tasks)))
    elapsed = time.perf_counter() - started
    await client.aclose()
    _drop(url, prefix)
    return {"reservations_per_s": round(n / elapsed)}


async def _contender(url: str, prefix: str, node: str, n: int, tasks: int) -> dict[str, int]:
    client = Redis.from_url(url, decode_responses=True, max_connections=tasks + 1)
    store = RedisStateStore(client, prefix)
    wins = lost = 0

    async def worker(w: int) -> None:
        nonlocal wins, lost
        for i in range(w, n, tasks):
            contact = f"{node}-c{i}"
            while True:
                for agent in AGENTS[:3]:
                    if await store.reserve(agent, contact, node):
                        wins += 1
                        await store.release(agent, contact, node)
                        break
                    lost += 1
                else:
                    continue
                break

    await asyncio.gather(*(worker(w) for w in range(tasks)))
    await client.aclose()
    return {"wins": wins, "lost_races": lost}


def _contender_process(url: str, prefix: str, node: str, n: int, out: Any) -> None:
    out.put(asyncio.run(_contender(url, prefix, node, n, 16)))


def contended(url: str, n: int) -> dict[str, Any]:
    prefix = _prefix()
    out: Any = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_contender_process, args=(url, prefix, node, n // 2, out))
        for node in ("node-a", "node-b")
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    _drop(url, prefix)
    wins = sum(r["wins"] for r in results)
    lost = sum(r["lost_races"] for r in results)
    return {
        "reservations_per_s": round(wins / elapsed),
        "lost_races_per_reservation": round(lost / wins, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--n", type=int, default=20_000, help="reservations per way in")
    args = parser.parse_args()
    result = {
        "seam": seam(args.url, args.n),
        "async": asyncio.run(_async(args.url, args.n, 1)),
        "async-32": asyncio.run(_async(args.url, args.n, 32)),
        "contended": contended(args.url, args.n),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
