"""A tiny ARI test client: REST calls and an events WebSocket, for the emulator's own tests."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp

from emulator import Emulator


class EventStream:
    """Events received on one WebSocket, in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(message.data))
                self._new.set()

    async def wait_for(self, event_type: str, **match: Any) -> dict[str, Any]:
        """The first event of ``event_type`` not yet taken that matches ``match``.

        ``match`` keys use ``__`` for nesting: ``channel__state="Up"``.  Gives up after a
        minute of (virtual) time.
        """
        async with asyncio.timeout(60):
            while True:
                for event in self.events:
                    if event["type"] == event_type and _matches(event, match):
                        self.events.remove(event)
                        return event
                self._new.clear()
                await self._new.wait()

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def take(self) -> list[dict[str, Any]]:
        taken, self.events = self.events, []
        return taken

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


def _matches(event: dict[str, Any], match: dict[str, Any]) -> bool:
    for key, wanted in match.items():
        value: Any = event
        for part in key.split("__"):
            value = value.get(part) if isinstance(value, dict) else None
        if value != wanted:
            return False
    return True


class Ari:
    def __init__(self, emu: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session
        token = base64.b64encode(f"{emu.username}:{emu.password}".encode()).decode()
        self._basic = f"Basic {token}"

    async def call(
        self, method: str, path: str, json_body: Any = None, **params: Any
    ) -> tuple[int, Any]:
        query = {k: str(v) for k, v in params.items() if v is not None}
        async with self.session.request(
            method,
            f"{self.emu.url}/ari{path}",
            params=query,
            json=json_body,
            headers={"Authorization": self._basic},
        ) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None

    async def events(self, app: str = "acd") -> EventStream:
        ws = await self.session.ws_connect(self.emu.events_url(app))
        return EventStream(ws)
