"""CPU per ARI REST request in the engine's process: aiohttp's client against the lean one
(``ari.http_client``), on asyncio's event loop and on uvloop (``event_loop``).

A server in a process of its own answers every request as Asterisk answers the engine's
usual ones (``POST /ari/channels/{id}/answer`` -> 204, ``POST /ari/bridges/{id}`` -> 200 and
a bridge of ~300 bytes), so the figure is the client's work alone: building the request,
the pool, the socket write, the event loop's wake-up, parsing the answer, the error mapping.

    .venv/bin/python bench/ari_http.py [--requests 20000] [--concurrency 1,8]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import subprocess
import sys
import time
from typing import Any

from acd.ari.client import AriClient
from acd.event_loop import loop_factory

BRIDGE = json.dumps(
    {
        "id": "br-ct-0123456789ab",
        "technology": "simple_bridge",
        "bridge_type": "mixing",
        "bridge_class": "stasis",
        "creator": "Stasis",
        "name": "",
        "channels": [],
        "creationtime": "2026-12-03T10:00:00.000+0000",
        "video_mode": "none",
    }
).encode()


async def serve(port: int) -> None:
    """A minimal HTTP/1.1 server with Asterisk's answer shapes (Content-Length, keep-alive)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"POST /ari/bridges/"):
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nServer: Asterisk/22.10.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                        % (len(BRIDGE), BRIDGE)
                    )
                else:
                    writer.write(
                        b"HTTP/1.1 204 No Content\r\nServer: Asterisk/22.10.1\r\n"
                        b"Content-Length: 0\r\n\r\n"
                    )
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def measure(port: int, client: str, requests: int, concurrency: int) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    kind: Any = client
    async with AriClient(url, "asterisk", "asterisk", "acd", http_client=kind) as ari:
        for _ in range(200):  # warm: connections open, code paths taken
            await ari.answer("c1")
        per_task = requests // concurrency

        async def work(n: int) -> None:
            for i in range(per_task):
                if i % 2:
                    await ari.answer(f"17953904{n}.{i}")
                else:
                    await ari.create_bridge(f"br-ct-{n}-{i}")

        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(work(n) for n in range(concurrency)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    done = per_task * concurrency
    return {
        "client": client,
        "loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        "concurrency": concurrency,
        "requests": done,
        "cpu_us_per_request": round(1e6 * cpu / done, 1),
        "requests_per_s": round(done / wall),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", default="1,8", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="each combination this often")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        combos = itertools.product(
            range(args.rounds),
            [int(c) for c in args.concurrency.split(",")],
            ("aiohttp", "lean"),
            ("asyncio", "uvloop"),
        )
        for _, concurrency, client, loop in combos:
            with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:  # type: ignore[arg-type]
                result = runner.run(measure(port, client, args.requests, concurrency))
            print(json.dumps(result), flush=True)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
