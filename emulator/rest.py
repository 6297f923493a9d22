"""Shared pieces of the HTTP layer: app keys, server state, response helpers, the route type."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulator.bus import Connection
from emulator.params import Params
from emulator.pbx import Pbx

PBX_KEY = web.AppKey("pbx", Pbx)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]


async def context(request: web.Request) -> tuple[Pbx, Params]:
    return request.app[PBX_KEY], await Params.read(request)


#: On every answer of Asterisk's HTTP server but static files (main/http.c).
NO_CACHE = {"Cache-Control": "no-cache, no-store"}


def ari_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer as Asterisk 22's ARI sends one (``recording_file.jsonl``): compact JSON
    (``pretty = no`` in ari.conf), ``Content-Type: application/json`` without a charset, and
    ``Cache-Control: no-cache, no-store``."""
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        headers={"Content-Type": "application/json", **NO_CACHE, **(headers or {})},
    )


def ok(body: Any) -> web.Response:
    return ari_json(body)


def created(body: dict[str, Any], location: str) -> web.Response:
    return ari_json(body, status=201, headers={"Location": location})


def no_content() -> web.Response:
    return web.Response(status=204, headers=NO_CACHE)


def match(request: web.Request, name: str) -> str:
    return request.match_info[name]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One ARI request the emulator received (``api_key`` left out)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
            "at": self.at,
        }


@dataclass
class EmulatorState:
    """What the HTTP layer keeps besides the PBX: sockets, the request log, injected faults."""

    pbx: Pbx
    username: str = "asterisk"
    password: str = "asterisk"
    sockets: dict[Connection, web.WebSocketResponse] = field(default_factory=dict)
    request_log: list[RequestRecord] = field(default_factory=list)
    refuse_websockets_until: float = float("-inf")


STATE_KEY = web.AppKey("emulator_state", EmulatorState)
