"""Live events (``GET /api/events``, a WebSocket) against the engine and the emulator: each
page sees what its user may see, on screen within a second, coalesced so a wallboard at 50
changes a second gets at most ~5 messages a second and always the latest state; the handshake
needs the session cookie and an allowed Origin."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from acd.engine.inputs import SetPresence
from foundation.contact import Presence
from tests.auth.client import add_users, browser
from tests.system.harness import START, System, system


class Page:
    """An open page's WebSocket: every message it received, in order, with its loop time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[tuple[float, dict[str, Any]]] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.received.append((loop.time(), json.loads(message.data)))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for _, m in self.received if m["type"] == kind]

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


@asynccontextmanager
async def page(s: System, user: str, origin: str | None = None) -> AsyncIterator[Page]:
    base = s.engine.http_url or ""
    async with browser(base) as client:
        await client.login(user)
        ws = await client.http.ws_connect(base + "/api/events", origin=origin or base)
        opened = Page(ws)
        try:
            yield opened
        finally:
            await opened.close()


async def test_an_agent_sees_their_own_agent_and_call_within_a_second_and_no_one_elses(tmp_path):
    async with system(tmp_path) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        async with page(s, "an") as an:
            await s.until(lambda: an.of("contact"))
            (hello,) = an.of("hello")
            assert (hello["user"], hello["role"], hello["agent_id"]) == ("an", "agent", "1001")
            assert an.of("contact")[-1] == {"type": "contact", "agent_id": "1001", "contact": None}
            s.login("1001")
            await s.until(lambda: an.of("agent")[-1]["agent"]["presence"] == "available")
            await s.wait(1)
            s.login("1002")  # 1001 has been idle longest: the call is theirs
            loop = asyncio.get_running_loop()
            caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
            await s.until(lambda: s.engine.core.agents["1001"].contact_id)
            offered_at = loop.time()
            await s.until(lambda: s.bridged_agent(caller) == "1001")
            await s.until(lambda: (an.of("contact")[-1]["contact"] or {}).get("state") == "talking")
            seen = next(t for t, m in an.received if m["type"] == "contact" and m["contact"])
            assert seen - offered_at < 1.0  # the offer on screen within a second
            assert an.of("contact")[-1]["contact"]["caller_number"] == "0470123456"
            assert {m["agent"]["id"] for m in an.of("agent")} == {"1001"}
            assert not an.of("wallboard")


async def test_a_supervisors_wallboard_is_coalesced_and_ends_at_the_latest_state(tmp_path):
    async with system(tmp_path) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        s.login("1001")
        async with page(s, "sam") as sam:
            await s.until(lambda: sam.of("wallboard"))
            loop = asyncio.get_running_loop()
            start = loop.time()
            # 50 presence changes in one second.
            for n in range(50):
                reason = "lunch" if n % 2 == 0 else "break"
                s.engine.runtime.submit(SetPresence("1001", Presence.NOT_AVAILABLE, reason))
                await asyncio.sleep(0.02)
            await s.wait(1.0)
            during = [m for t, m in sam.received if t >= start and m["type"] == "wallboard"]
            assert 1 <= len(during) <= 8  # ~5 a second over ~2 s, not 50
            last = during[-1]["wallboard"]
            general = next(
                c
                for ln in last["lines"]
                for c in ln["line_codes"]
                if c["line_code"] == "1700 Andere Vragen"
            )
            assert general["agents"]["not_available_by_reason"] == {"break": 1}
            agents = [m["agent"] for t, m in sam.received if m["type"] == "agent" and t >= start]
            assert agents[-1]["reason"] == "break"
            assert len(agents) <= 12


async def test_the_handshake_needs_a_session_and_an_allowed_origin(tmp_path):
    async with system(tmp_path) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        base = s.engine.http_url or ""
        async with browser(base) as client:
            status, body, _ = await client.call("GET", "/api/events", headers={"Origin": base})
            assert (status, body["error"]) == (401, "not_authenticated")
            await client.login("an")
            status, body, _ = await client.call(
                "GET", "/api/events", headers={"Origin": "https://evil.example"}
            )
            assert (status, body["error"]) == (403, "origin_refused")
            status, body, _ = await client.call("GET", "/api/events")
            assert (status, body["error"]) == (403, "origin_missing")
            status, body, _ = await client.call("GET", "/api/events", headers={"Origin": base})
            assert (status, body["error"]) == (400, "websocket_required")


async def test_signing_out_closes_the_open_page_within_the_check_interval(tmp_path):
    async with system(tmp_path) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        base = s.engine.http_url or ""
        async with browser(base) as client:
            await client.login("an")
            ws = await client.http.ws_connect(base + "/api/events", origin=base)
            an = Page(ws)
            await s.until(lambda: an.of("contact"))
            await s.wait(45)
            assert not ws.closed  # an open page alone does not end the session
            status, _, _ = await client.call("DELETE", "/api/session")
            assert status == 200
            await s.until(lambda: ws.closed, timeout_s=40)
            assert ws.close_code == 4401
            await an.close()
