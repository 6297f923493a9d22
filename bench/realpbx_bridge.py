"""Agent answered -> caller and agent in one bridge, on a real Asterisk (docs/performance.md,
"Engine end to end").

A real Asterisk 22 (../shared/asterisk/run-asterisk, via tests/realpbx/harness.py), the engine
(`acd run`) connected to it, four sipp agent phones answering after ``--ring-ms`` and sipp
callers at ``--rate`` calls per second, each talking ``--talk-ms`` after being answered (by the
engine, at once: the wait in the queue is part of it).  A second ARI application subscribed to
everything watches, and the latency is read from Asterisk's own event timestamps (ms): from
the agent channel's ``ChannelStateChange`` to ``Up`` (the phone's 200 OK) to the later of the
caller's and the agent's ``ChannelEnteredBridge``.  Also the engine's and Asterisk's CPU per
call (from /proc).

    .venv/bin/python bench/realpbx_bridge.py [--calls 60] [--rate 1] [--engine-path DIR]

``--engine-path`` runs the engine from another source tree (``git archive main | tar -x -C
DIR``): the figures before a change.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realpbx.harness import (
    AGENTS,
    Asterisk,
    Engine,
    free_udp_block,
    shared_dir,
    wait_for,
)

OBSERVER = "bench-observer"


class Observer(threading.Thread):
    """Every ARI event Asterisk sends to an app subscribed to all channels and bridges."""

    def __init__(self, asterisk: Asterisk) -> None:
        super().__init__(daemon=True)
        self.url = (
            f"ws://127.0.0.1:{asterisk.http_port}/ari/events"
            f"?app={OBSERVER}&subscribeAll=true&api_key=asterisk:asterisk"
        )
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self._listen())

    async def _listen(self) -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(self.url) as ws:
            self.connected.set()
            while not self._stopping.is_set():
                try:
                    message = await ws.receive(timeout=0.2)
                except TimeoutError:
                    continue
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                self.events.append(json.loads(message.data))

    def stop(self) -> None:
        self._stopping.set()
        self.join(5)


def _at(event: dict[str, Any]) -> float:
    return datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def bridge_latencies(events: list[dict[str, Any]]) -> list[float]:
    """Per agent leg: ms from its answer (state Up) to both parties in its bridge."""
    up: dict[str, float] = {}
    entered: dict[str, float] = {}  # channel -> entered bridge
    bridge_of: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    for event in events:
        kind = event.get("type")
        channel = event.get("channel") or {}
        if kind == "ChannelStateChange" and channel.get("state") == "Up":
            if channel.get("name", "").startswith("PJSIP/agent"):
                up.setdefault(channel["id"], _at(event))
        elif kind == "ChannelEnteredBridge":
            bridge = event["bridge"]["id"]
            entered.setdefault(channel["id"], _at(event))
            bridge_of.setdefault(channel["id"], bridge)
            members.setdefault(bridge, set()).add(channel["id"])
    out = []
    for leg, answered in up.items():
        bridge = bridge_of.get(leg)
        if bridge is None or len(members[bridge]) < 2:
            continue
        both = max(entered[c] for c in members[bridge])
        out.append((both - answered) * 1000)
    return out


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def sipp(args: list[str], workdir: Path, name: str) -> subprocess.Popen[bytes]:
    media = free_udp_block(4)
    command = ["sipp", *args, "-i", "127.0.0.1", "-nostdin", "-mi", "127.0.0.1"]
    command += ["-mp", str(media), "-timeout", "300s"]
    out = (workdir / f"{name}.screen.log").open("wb")
    return subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)


def run(
    calls: int, rate: float, ring_ms: int, talk_ms: int, engine_path: str | None
) -> dict[str, Any]:
    shared = shared_dir()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        asterisk = Asterisk.start(shared, root)
        engine: Engine | None = None
        phones: list[subprocess.Popen[bytes]] = []
        try:
            if engine_path:
                os.environ["PYTHONPATH"] = engine_path
            engine = Engine.start(root, asterisk)
            os.environ.pop("PYTHONPATH", None)
            observer = Observer(asterisk)
            observer.start()
            observer.connected.wait(5)
            for agent in AGENTS[:2]:  # agent3 never answers, agent4 is busy (etc/pjsip.conf)
                port = asterisk.phone_ports[agent]
                uas = str(shared / "sipp" / "uas_answer.xml")
                phones.append(sipp(["-sf", uas, "-p", str(port), "-d", str(ring_ms)], root, agent))
                wait_for(functools.partial(_listening, port), 5, f"{agent}'s phone listens")
            engine.login(*AGENTS[:2])
            time.sleep(1)
            pbx_pid = int((root / "pbx" / "asterisk.pid").read_text())
            engine_cpu0, pbx_cpu0, wall0 = cpu_s(engine.process.pid), cpu_s(pbx_pid), time.time()
            uac = str(shared / "sipp" / "uac_bye.xml")
            target = f"127.0.0.1:{asterisk.sip_port}"
            args = ["-sf", uac, target, "-s", "1701", "-p", str(free_udp_block(1))]
            args += ["-m", str(calls), "-r", str(rate), "-rp", "1000", "-d", str(talk_ms)]
            caller = sipp(args, root, "callers")
            caller.wait(calls / rate + 120)
            wait_for(lambda: not asterisk.channels(), 30, "every call over")
            wall = time.time() - wall0
            engine_cpu = cpu_s(engine.process.pid) - engine_cpu0
            pbx_cpu = cpu_s(pbx_pid) - pbx_cpu0
            observer.stop()
            latencies = bridge_latencies(observer.events)
            answered = sum(1 for r in engine.records() if r["outcome"] == "answered")
        finally:
            for phone in phones:
                phone.kill()
                phone.wait(5)
            if engine is not None:
                engine.stop()
            asterisk.stop()
    return {
        "calls": calls,
        "rate": rate,
        "answered": answered,
        "bridged_measured": len(latencies),
        "wall_s": round(wall, 1),
        "engine_cpu_ms_per_call": round(1000 * engine_cpu / calls, 2),
        "asterisk_cpu_ms_per_call": round(1000 * pbx_cpu / calls, 2),
        "agent_answer_to_bridged_p50_ms": percentile(latencies, 0.5),
        "agent_answer_to_bridged_p99_ms": percentile(latencies, 0.99),
        "agent_answer_to_bridged_max_ms": percentile(latencies, 1.0),
    }


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--rate", type=float, default=1.0, help="calls per second")
    parser.add_argument("--ring-ms", type=int, default=300, help="agents ring, then answer")
    parser.add_argument("--talk-ms", type=int, default=1500, help="callers talk, then hang up")
    parser.add_argument("--engine-path", help="run the engine from this source tree")
    args = parser.parse_args()
    result = run(args.calls, args.rate, args.ring_ms, args.talk_ms, args.engine_path)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
