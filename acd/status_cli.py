"""``acd status``: the engine nodes on the shared state, with their lease age, calls and
reservations (the same figures as ``GET /api/nodes``), read straight from Redis."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime

from acd.settings import load_settings
from acd.settings.redis_options import RedisSettings
from acd.state.model import NodeInfo
from acd.state.redis_store import RedisStateStore
from acd.text_table import text_table
from foundation.errors import StartupRefused, one_line
from foundation.redact import redact_url


async def _nodes(redis: RedisSettings) -> list[NodeInfo]:
    store = RedisStateStore.from_url(redis.client_url(), redis.key_prefix)
    try:
        return await store.nodes()
    except Exception as exc:
        raise StartupRefused(f"redis {redact_url(redis.url)}: {one_line(exc)}") from None
    finally:
        await store.close()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def status_command(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    redis = settings.redis
    if redis is None:
        message = "one node: acd.yaml has no redis section, so no state is shared"
        print(json.dumps({"shared_state": "memory", "nodes": []}) if args.json else message)
        return 0
    nodes = asyncio.run(_nodes(redis))
    now = time.time()  # the one place `acd status` reads the clock
    rows = [
        {
            "node_id": n.node_id,
            "started_at": _iso(n.started_at),
            "renewed_at": _iso(n.renewed_at),
            "lease_age_s": round(n.lease_age(now), 1),
            "expired": n.lease_age(now) > redis.lease_ttl_s,
            "calls": n.calls,
            "reservations": n.reservations,
        }
        for n in nodes
    ]
    if args.json:
        print(
            json.dumps({"shared_state": "redis", "lease_ttl_s": redis.lease_ttl_s, "nodes": rows})
        )
        return 0
    lease = f"lease {redis.lease_ttl_s:g} s"
    print(f"shared state: {redact_url(redis.url)} ({len(rows)} node(s), {lease})")
    if rows:
        header = ("NODE", "STARTED", "LEASE AGE", "CALLS", "RESERVED", "STATE")
        print(
            text_table(
                header,
                [
                    (
                        str(r["node_id"]),
                        str(r["started_at"]),
                        f"{r['lease_age_s']} s",
                        str(r["calls"]),
                        str(r["reservations"]),
                        "expired (not yet reaped)" if r["expired"] else "live",
                    )
                    for r in rows
                ],
            )
        )
    return 0
