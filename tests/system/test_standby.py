"""Issue 16, item 4: a node lost for good.  Node A (an engine with ``redis:``) has a caller
talking, one ringing an agent and one queued when it is killed (SIGKILL); a standby engine B,
configured for the same Asterisk and ARI application with a node id of its own, starts and
takes the application over through the restart path (A's process is gone: its SQL lease is
taken at once).  Every caller is still served, each call recorded once; A's reservations are
handed to B in one step (no other node could reserve a ringing or talking agent meanwhile) and
A is gone from the shared state; when the calls end, no reservation is left.  A third engine
that starts with B's node id for another application is refused, naming the node.

Real processes (``acd emulator``, ``acd run``) on the wall clock, the machine's Redis under a
key prefix of the test's own.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis

from acd.state import RedisStateStore
from foundation.clock import hold_clock
from tests.state.conftest import REDIS_URL, drop_prefix, unique_prefix
from tests.system.processes import ALWAYS_OPEN, DEADLINE_S, ROOT, engine_api, process, until
from tests.system.test_restart import AUTH, CONFIG, Setup, kill

T = TypeVar("T")

ACD_YAML = """\
engine:
  ring_timeout_s: 60
  wrap_up_s: 1
  presence_reasons: [training, lunch, break, missed]
ari:
  app: {app}
  reconnect_min_s: 0.1
  reconnect_max_s: 0.5
redis:
  url: {url}
  node_id: {node}
  key_prefix: "{prefix}"
"""


def _config(tmp_path: Path, name: str, node: str, prefix: str, app: str = "acd") -> Path:
    config = tmp_path / name
    shutil.copytree(CONFIG, config)
    yaml = ACD_YAML.format(app=app, url=REDIS_URL, node=node, prefix=prefix)
    (config / "acd.yaml").write_text(yaml, encoding="utf-8")
    (config / "calendars.yaml").write_text(ALWAYS_OPEN, encoding="utf-8")
    return config


@contextmanager
def _emulator(tmp_path: Path) -> Iterator[Any]:
    from tests.system.processes import Http, listening

    config = _config(tmp_path, "emulator-config", "unused", "{unused}:")
    log = tmp_path / "emulator.log"
    with process(["emulator", "--config", str(config), "--port", "0"], log) as emu:
        yield Http(listening(emu, log, r"ARI emulator listening on (\S+) "), AUTH)


def _in_store(prefix: str, read: Callable[[RedisStateStore], Awaitable[T]]) -> T:
    """``read`` on the shared state, on a client of its own (the test runs no loop)."""

    async def run() -> T:
        client = Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            return await read(RedisStateStore(client, prefix, hold=hold_clock))
        finally:
            await client.aclose()

    return asyncio.run(run())


def _reservations(prefix: str) -> dict[str, tuple[str, str]]:
    async def read(store: RedisStateStore) -> dict[str, tuple[str, str]]:
        found = {}
        for agent in ("1001", "1002"):
            held = await store.reservation(agent)
            if held is not None:
                found[agent] = (held.contact_id, held.node_id)
        return found

    return _in_store(prefix, read)


def _nodes(prefix: str) -> list[str]:
    async def read(store: RedisStateStore) -> list[str]:
        return [n.node_id for n in await store.nodes()]

    return _in_store(prefix, read)


def _drop(prefix: str) -> None:
    async def drop(store: RedisStateStore) -> None:
        await drop_prefix(store.client, store.keys.pattern())

    _in_store(prefix, drop)


def _row(pbx: Setup, channel_id: str) -> dict[str, Any]:
    row = pbx.row(channel_id)
    assert row is not None, channel_id
    return row


def test_a_standby_takes_over_a_killed_node_and_serves_every_caller(tmp_path: Path) -> None:
    prefix = unique_prefix()
    db = tmp_path / "acd.sqlite3"
    storage = ["--storage-url", f"sqlite+aiosqlite:///{db}", "--listen", "127.0.0.1:0"]
    with _emulator(tmp_path) as emulator:
        pbx = Setup(emulator, [], db, tmp_path)

        def engine_args(config: Path) -> list[str]:
            return ["run", "--config", str(config), "--ari-url", emulator.base, *storage]

        try:
            emulator.put("/emulator/endpoints/PJSIP/1001", {"mode": "answer", "ring_s": 0.2})
            # Rings through the take-over, then answers.
            emulator.put("/emulator/endpoints/PJSIP/1002", {"mode": "answer", "ring_s": 15})
            a_args = engine_args(_config(tmp_path, "config-a", "node-a", prefix))
            with process(a_args, tmp_path / "node-a.log") as a:
                api = engine_api(a, tmp_path / "node-a.log")
                api.post("/api/agents/1001/login", {})
                talking = pbx.call()
                until(lambda: pbx.bridged_with(talking), "the first caller talks to 1001")
                api.post("/api/agents/1002/login", {})
                ringing = pbx.call()
                until(lambda: api.get("/api/agents/1002")["activity"] == "ringing", "1002 rings")
                queued = pbx.call()
                until(lambda: all(pbx.row(c) for c in (talking, ringing, queued)), "on disk")
                until(lambda: (row := pbx.row(ringing)) and row["offered_at"], "offer on disk")
                held = _reservations(prefix)
                assert {a: n for a, (_, n) in held.items()} == {"1001": "node-a", "1002": "node-a"}
                kill(a)

            b_args = engine_args(_config(tmp_path, "config-b", "node-b", prefix))
            with process(b_args, tmp_path / "node-b.log") as b:
                api = engine_api(b, tmp_path / "node-b.log")
                rows = {c: _row(pbx, c) for c in (talking, ringing, queued)}
                # A is gone from the shared state; its agents are B's, for the same contacts.
                assert _nodes(prefix) == ["node-b"]
                held = _reservations(prefix)
                assert held == {
                    "1001": (rows[talking]["id"], "node-b"),
                    "1002": (rows[ringing]["id"], "node-b"),
                }
                assert api.get("/api/agents/1001")["activity"] == "on_call"
                until(lambda: pbx.bridged_with(ringing), "1002 answers and is bridged")
                emulator.post(f"/emulator/channels/{talking}/hangup", {})
                until(lambda: pbx.bridged_with(queued), "1001 takes the queued caller")
                for caller in (ringing, queued):
                    emulator.post(f"/emulator/channels/{caller}/hangup", {})
                until(
                    lambda: all((r := pbx.row(c)) and r["ended_at"] for c in rows),
                    "every call is recorded as ended",
                )
                until(
                    lambda: not _reservations(prefix),
                    "no agent is left reserved",
                )
                # The same node id for another application, while node-b lives: refused.
                c_config = _config(tmp_path, "config-c", "node-b", prefix, app="other")
                refused = subprocess.run(
                    [sys.executable, "-m", "acd.cli", *engine_args(c_config)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=DEADLINE_S,
                    check=False,
                )
                assert refused.returncode == 2, refused.stderr
                assert "redis node id 'node-b' is live" in refused.stderr
                assert _nodes(prefix) == ["node-b"]
        finally:
            _drop(prefix)

    ended = {c: _row(pbx, c) for c in (talking, ringing, queued)}
    for caller, row in ended.items():
        assert row["outcome"] == "answered", (caller, row)
    assert ended[talking]["agent_id"] == "1001"
    assert ended[ringing]["agent_id"] == "1002"
    assert ended[queued]["agent_id"] == "1001"
