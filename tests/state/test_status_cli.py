"""``acd status``: the nodes in the shared state, read from Redis, with their lease age."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from acd.cli import main
from acd.state import RedisStateStore
from tests.state.conftest import REDIS_URL, drop_prefix, unique_prefix

CONFIG = Path(__file__).resolve().parents[1] / "system" / "config"


def _config(tmp_path: Path, redis: str | None) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    if redis is not None:
        with (config / "acd.yaml").open("a") as acd_yaml:
            acd_yaml.write(redis)
    return config


async def _store_nodes(prefix: str, drop: bool = False) -> None:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    store = RedisStateStore(client, prefix)
    if drop:
        await drop_prefix(client, store.keys.pattern())
    else:
        now = time.time()
        await store.renew("node-a", now - 2.0, 12)
        await store.renew("node-b", now - 60.0, 3)
        await store.reserve("1001", "c1", "node-a")
    await client.aclose()


def test_status_lists_the_nodes_with_lease_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = unique_prefix()
    config = _config(
        tmp_path, f"redis: {{url: '{REDIS_URL}', node_id: node-x, key_prefix: '{prefix}'}}\n"
    )
    asyncio.run(_store_nodes(prefix))
    try:
        assert main(["status", "--config", str(config), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert main(["status", "--config", str(config)]) == 0
        text = capsys.readouterr().out
    finally:
        asyncio.run(_store_nodes(prefix, drop=True))
    a, b = report["nodes"]
    assert (a["node_id"], a["calls"], a["reservations"], a["expired"]) == ("node-a", 12, 1, False)
    assert (b["node_id"], b["calls"], b["reservations"], b["expired"]) == ("node-b", 3, 0, True)
    assert 2.0 <= a["lease_age_s"] < 30.0
    assert 60.0 <= b["lease_age_s"] < 90.0
    assert "NODE" in text
    assert "expired (not yet reaped)" in text
    assert "shared state: redis://127.0.0.1:6379/0 (2 node(s), lease 15 s)" in text


def test_status_without_redis_says_one_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--config", str(_config(tmp_path, None))]) == 0
    assert "one node: acd.yaml has no redis section" in capsys.readouterr().out


def test_status_with_redis_unreachable_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "redis: {url: 'redis://127.0.0.1:1/0', node_id: n, username: acd}\n")
    assert main(["status", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("acd: redis redis://127.0.0.1:1/0: ")
    assert len(err.strip().splitlines()) == 1
