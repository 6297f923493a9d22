"""CPU per ARI event in the engine's events reader (docs/performance.md, "Times bound as text,
events read by one task").

A WebSocket server in a process of its own sends ``--events`` copies of a recorded
``ChannelStateChange`` in bursts of eight (as a call's events come); ``acd.ari.stream.EventStream``
on uvloop reads them, decodes and parses each and hands it to an ``on_event`` that only counts.
The figure is this process's CPU per event: the socket, aiohttp's WebSocket reader, the
reading task, orjson and the typed event, without the engine behind it.

    .venv/bin/python bench/ari_stream.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

TRACE = Path(__file__).resolve().parents[1] / "tests/data/ari-traces/bridge.jsonl"


def recorded_event() -> str:
    for line in TRACE.read_text().splitlines():
        record = json.loads(line)
        if record["dir"] == "event" and record["event"]["type"] == "ChannelStateChange":
            return json.dumps(record["event"])
    raise SystemExit(f"{TRACE}: no ChannelStateChange")


def serve(port: int, events: int) -> None:
    from aiohttp import web

    text = recorded_event()

    async def stream(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for i in range(events):
            await ws.send_str(text)
            if i % 8 == 7:
                await asyncio.sleep(0.0005)
        await asyncio.sleep(30)
        return ws

    app = web.Application()
    app.router.add_get("/ari/events", stream)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def read(port: int, events: int) -> float:
    from acd.ari.stream import EventStream

    count = 0

    def on_event(_: object) -> None:
        nonlocal count
        count += 1

    stream = EventStream(f"http://127.0.0.1:{port}", "u", "p", "acd", on_event=on_event)
    cpu0 = time.process_time()
    stream.start()
    while count < events:  # noqa: ASYNC110 (polls a counter the reader advances)
        await asyncio.sleep(0.01)
    cpu = time.process_time() - cpu0
    await stream.stop()
    return cpu / events * 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.events)
        return
    import uvloop

    for _ in range(args.rounds):
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--events", str(args.events)]
        )
        try:
            time.sleep(1.0)  # the server's start, before the measurement
            us = uvloop.run(read(port, args.events))
        finally:
            server.kill()
        print(json.dumps({"events": args.events, "cpu_us_per_event": round(us, 1)}))


if __name__ == "__main__":
    main()
