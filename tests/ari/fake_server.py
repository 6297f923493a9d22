"""A loopback ARI server for the client's component tests.

REST requests are answered, in this order, by a programmed answer for (method, path), or by
the answer real Asterisk 22 gave to the same method, path and query in the recorded traces
(tests/data/ari-traces), or else by 501 so a request the client shapes differently from
the traces fails loudly.  ``/ari/events`` serves WebSockets like Asterisk: ``api_key`` checked,
and a second connection for an app sends ``ApplicationReplaced`` to the first.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.traces import read_trace

Key = tuple[str, str, tuple[tuple[str, str], ...]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _key(method: str, path: str, query: dict[str, str]) -> Key:
    return method, path, tuple(sorted(query.items()))


def recorded_exchanges(*names: str) -> dict[Key, tuple[int, Any]]:
    """(method, path, query) -> (status, body) from the traces; the first answer wins."""
    answers: dict[Key, tuple[int, Any]] = {}
    for name in names:
        pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rec in read_trace(name):
            if rec.get("websocket"):
                continue
            if rec["dir"] == "request":
                pending.setdefault((rec["method"], rec["path"]), []).append(rec)
            elif rec["dir"] == "response":
                req = pending[(rec["method"], rec["path"])].pop(0)
                if "body" not in rec:
                    continue  # a file's answer (recording_file.jsonl): its bytes are not kept
                key = _key(req["method"], req["path"], req.get("query") or {})
                answers.setdefault(key, (rec["status"], rec["body"]))
    return answers


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any = None


@dataclass
class WsConn:
    """One accepted events WebSocket, as the test drives it."""

    app: str
    ws: web.WebSocketResponse
    request: web.Request
    opened_at: float
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, event: dict[str, Any] | str) -> None:
        await self.ws.send_str(event if isinstance(event, str) else json.dumps(event))

    async def close(self) -> None:
        """A clean close from the server side (Asterisk shutting down)."""
        await self.ws.close()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a crash or a network cut)."""
        transport = self.request.transport
        assert transport is not None
        transport.abort()


class FakeAriServer:
    """A loopback ARI server (not the engine's fake ARI client: ``tests.fakes.FakeAriClient``)."""

    def __init__(
        self,
        username: str = "asterisk",
        password: str = "asterisk",
        traces: tuple[str, ...] = (),
    ) -> None:
        self.username = username
        self.password = password
        self.recorded = recorded_exchanges(*traces)
        self.programmed: dict[tuple[str, str], tuple[int, Any] | Handler] = {}
        self.seen: list[Seen] = []
        self.ws_attempts: list[float] = []
        self.ws_refusals = 0  # the next N events connections are refused with 503
        self.ws_autoping = True
        self.connections: asyncio.Queue[WsConn] = asyncio.Queue()
        self._open: dict[str, WsConn] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, method: str, path: str, status: int, body: Any = None) -> None:
        self.programmed[(method, path)] = (status, body)

    def handle(self, method: str, path: str, handler: Handler) -> None:
        self.programmed[(method, path)] = handler

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def next_connection(self, timeout_s: float = 300) -> WsConn:
        async with asyncio.timeout(timeout_s):
            return await self.connections.get()

    # -- handlers -----------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.seen.append(Seen(request.method, request.path, dict(request.query), body))
        if not self._authorised(request):
            return _json(401, {"message": "Authentication required"})
        programmed = self.programmed.get((request.method, request.path))
        if callable(programmed):
            return await programmed(request)
        if programmed is not None:
            return _json(*programmed)
        key = _key(request.method, request.path, dict(request.query))
        if key in self.recorded:
            return _json(*self.recorded[key])
        return _json(501, {"message": f"no recorded answer for {key}"})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self.ws_attempts.append(asyncio.get_running_loop().time())
        if request.query.get("api_key") != f"{self.username}:{self.password}":
            return _json(401, {"message": "Authentication required"})
        if self.ws_refusals > 0:
            self.ws_refusals -= 1
            return _json(503, {"message": "Service Unavailable"})
        app = request.query["app"]
        ws = web.WebSocketResponse(autoping=self.ws_autoping)
        await ws.prepare(request)
        await self._replace(app)
        conn = WsConn(app, ws, request, asyncio.get_running_loop().time())
        self._open[app] = conn
        self.connections.put_nowait(conn)
        try:
            async for _msg in ws:
                pass
        finally:
            if self._open.get(app) is conn:
                del self._open[app]
            conn.closed.set()
        return ws

    async def _replace(self, app: str) -> None:
        # As Asterisk does (app_replaced.jsonl): the older connection is told at once.
        old = self._open.pop(app, None)
        if old is not None and not old.ws.closed:
            await old.send(
                {
                    "type": "ApplicationReplaced",
                    "timestamp": "2026-11-22T23:35:47.619+0000",
                    "application": app,
                    "asterisk_id": "02:fc:00:00:00:01",
                }
            )


def _json(status: int, body: Any) -> web.Response:
    if body is None:
        return web.Response(status=status)
    return web.json_response(body, status=status)
