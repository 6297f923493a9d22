"""A browser and a machine client of the engine's API, for the auth tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiohttp

from acd.auth.model import Role
from acd.auth.store import AuthStore

PASSWORD = "correct horse battery staple"


class Client:
    """One API client: a cookie jar (a browser) or a bearer token (a machine)."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = session
        self.csrf: str | None = None
        self.origin: str | None = base  # what a browser sends on a state-changing request

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        sent = dict(headers or {})
        if method not in ("GET", "HEAD") and self.csrf is not None:
            sent.setdefault("X-CSRF-Token", self.csrf)
        if method not in ("GET", "HEAD") and self.origin is not None:
            sent.setdefault("Origin", self.origin)
        json_body = body if body is not None or method in ("GET", "HEAD", "DELETE") else {}
        async with self.http.request(
            method, self.base + path, json=json_body, headers=sent
        ) as response:
            text = await response.text()
            json_reply = response.content_type == "application/json"
            found = await response.json() if json_reply else text
            return response.status, found, dict(response.headers)

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, Any]:
        status, body, _ = await self.call(
            "POST", "/api/session", {"username": username, "password": password}
        )
        if status == 200:
            self.csrf = body["csrf_token"]
        return status, body


@asynccontextmanager
async def browser(base: str) -> AsyncIterator[Client]:
    # unsafe=True: the jar keeps cookies of an IP-address host (127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Client(base, session)


@asynccontextmanager
async def machine(base: str, token: str | None) -> AsyncIterator[Client]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        client = Client(base, session)
        client.origin = None
        yield client


async def add_users(store: AuthStore, now: datetime) -> None:
    """One user of each kind, all with PASSWORD."""
    await store.add_user("ada", PASSWORD, Role.ADMIN, now)
    await store.add_user("sam", PASSWORD, Role.SUPERVISOR, now, lines=("1700",))
    await store.add_user("nel", PASSWORD, Role.SUPERVISOR, now)  # supervises no line
    await store.add_user("an", PASSWORD, Role.AGENT, now, agent_id="1001")
    await store.add_user("bart", PASSWORD, Role.AGENT, now, agent_id="1002")
    await store.add_user("rita", PASSWORD, Role.REPORTING, now)
