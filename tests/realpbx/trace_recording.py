"""What the trace recorders (``record_*.py``) share: a log of every message with its time since
the start, the events of one ARI WebSocket waited on by type, and the command line that starts
a real Asterisk with sipp phones, records, and writes the trace as JSON lines."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp

from tests.realpbx.harness import Asterisk, Phones, shared_dir


class TraceLog:
    """The trace's entries, and the events received on one ARI WebSocket."""

    def __init__(self, started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self.entries: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self._new = asyncio.Event()

    def _t(self) -> float:
        return round(time.monotonic() - self.started, 4)

    async def open_events(
        self, session: aiohttp.ClientSession, http_port: int
    ) -> tuple[aiohttp.ClientWebSocketResponse, asyncio.Task[None]]:
        """The app's events WebSocket, its request and 101 in the trace, and the task that
        logs what comes in on it."""
        query = {"app": "acd", "api_key": "asterisk:asterisk"}
        self.entries.append(
            {"t": self._t(), "dir": "request", "method": "GET", "path": "/ari/events"}
            | {"query": query, "websocket": True}
        )
        ws = await session.ws_connect(f"ws://127.0.0.1:{http_port}/ari/events", params=query)
        self.entries.append(
            {"t": self._t(), "dir": "response", "method": "GET", "path": "/ari/events"}
            | {"status": 101, "websocket": True}
        )
        return ws, asyncio.create_task(self.listen(ws))

    async def listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                event = json.loads(message.data)
                self.entries.append({"t": self._t(), "dir": "event", "event": event})
                self.events.append(event)
                self._new.set()

    async def event(self, kind: str, channel: str | None = None, **fields: Any) -> dict[str, Any]:
        """The first event of ``kind`` (about ``channel``, with ``fields``) not taken before;
        40 s at most."""
        async with asyncio.timeout(40):
            while True:
                for event in self.events:
                    subject = (event.get("channel") or event.get("peer") or {}).get("id")
                    if (
                        event["type"] == kind
                        and (channel is None or subject == channel)
                        and all(event.get(k) == v for k, v in fields.items())
                    ):
                        self.events.remove(event)
                        return event
                self._new.clear()
                await self._new.wait()


Record = Callable[[Asterisk, Phones], Coroutine[Any, Any, list[dict[str, Any]]]]


def record_main(argv: list[str], out: Path, prefix: str, record: Record) -> int:
    """Start the tier's Asterisk and phones in a temporary folder, ``record``, and write the
    trace to ``argv[0]`` (else ``out``)."""
    target = Path(argv[0]) if argv else out
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        root = Path(tmp)
        pbx = Asterisk.start(shared_dir(), root)
        phones = Phones(pbx, root)
        try:
            entries = asyncio.run(record(pbx, phones))
        finally:
            phones.stop()
            pbx.stop()
    target.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    print(f"{len(entries)} entries -> {target}")
    return 0
