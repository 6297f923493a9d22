"""What forwarding an agent's desk request to the node holding the call costs, on the
machine's Redis (docs/performance.md, "Desk requests forwarded between nodes").

- ``holder``: the lookup every request about the agent's call pays on a node with Redis
  (``HGET reserved:<agent> node_id``), forwarded or not;
- ``forwarded``: a request sent by one node's :class:`acd.state.desk_link.DeskLink` and
  answered by another's (both in this process, each with its own connections), one at a time;
- ``forwarded-16``: 16 at a time;
- ``answer``: the holder's side without Redis: the request rebuilt and run through an aiohttp
  app with two middlewares (:func:`acd.desk_forwarding.answering`).

    .venv/bin/python bench/desk_forwarding.py [--url redis://127.0.0.1:6379/0] [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from acd.desk_forwarding import answering
from acd.state import RedisStateStore
from acd.state.desk_link import DeskLink, DeskReply, DeskRequest

BODY = json.dumps({"note": "Vraag over de premie", "reason": "Informatie gegeven", "links": []})
IDENTITY = {
    "name": "an",
    "via": "session",
    "role": "agent",
    "agent_id": "1001",
    "lines": [],
    "scopes": [],
    "user_id": 4,
}
REQUEST = DeskRequest(
    "POST",
    "/api/agents/1001/contact/close",
    (("Content-Type", "application/json"),),
    BODY.encode(),
    IDENTITY,
)


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


async def _timed(n: int, call: Callable[[], Awaitable[object]]) -> dict[str, Any]:
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {"n": n, "per_s": round(n / elapsed), **_ms(latencies)}


async def _echo(request: DeskRequest, from_node: str) -> DeskReply:
    return DeskReply(200, (("Content-Type", "application/json"),), request.body)


async def run(url: str, n: int) -> dict[str, Any]:
    prefix = "{bench-" + uuid.uuid4().hex[:8] + "}:"
    client = Redis.from_url(url, decode_responses=True)
    store = RedisStateStore(client, prefix)

    def link(node: str) -> DeskLink:
        return DeskLink.from_url(url, node, prefix, now=time.time, lease_ttl_s=15.0, timeout_s=2.0)

    a, b = link("node-a"), link("node-b")
    out: dict[str, Any] = {}
    try:
        await store.renew("node-a", time.time(), 1)
        await store.reserve("1001", "c-1", "node-a")
        out["holder"] = await _timed(n, lambda: b.holder("1001"))
        await a.start(_echo)
        out["forwarded"] = await _timed(n, lambda: b.send("node-a", REQUEST))

        async def sixteen() -> None:
            await asyncio.gather(*(b.send("node-a", REQUEST) for _ in range(16)))

        batch = await _timed(max(1, n // 16), sixteen)
        out["forwarded-16"] = {"n": batch["n"] * 16, "per_s": batch["per_s"] * 16}
        out["answer"] = await _timed(n, _answer_call())
    finally:
        for one in (a, b):
            await one.close()
        keys = [key async for key in client.scan_iter(match=prefix.replace("{", "\\{") + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    return out


def _answer_call() -> Callable[[], Awaitable[object]]:
    """The holder's side alone: a handler that parses the body, behind two middlewares."""

    @web.middleware
    async def passing(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        return await handler(request)

    async def close(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"contact_id": "c-1", "closed": True, "note": body["note"]})

    app = web.Application(middlewares=[passing, passing])
    app.router.add_post("/api/agents/{agent_id}/contact/close", close)
    app.freeze()
    answer = answering(app)
    return lambda: answer(REQUEST, "node-b")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.n)), indent=2))


if __name__ == "__main__":
    main()
