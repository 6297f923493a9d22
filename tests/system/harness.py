"""The engine and the ARI emulator in one process, talking over real loopback HTTP and
WebSocket, on the test's virtual clock."""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from acd.app import running_engine
from acd.auth.model import Scope
from acd.engine import inputs as inp
from acd.engine.view import AgentView
from acd.running import RunningEngine
from acd.settings import load_settings
from acd.simulation import pbx_config_from_settings
from emulator import Emulator, EndpointSpec, StasisTarget, run_emulator
from emulator.scripts import Behaviour
from foundation.clock import Clock
from foundation.contact import ContactRecord

CONFIG = Path(__file__).parent / "config"
START = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)


@dataclass
class System:
    engine: RunningEngine
    emu: Emulator
    # An admin API token of the engine's store: the API lets no one in without credentials.
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``method path`` on the engine's HTTP API as an admin: the status and the JSON."""
        url = f"{self.engine.http_url}{path}"
        async with (
            aiohttp.ClientSession(headers=self.headers) as session,
            session.request(method, url, json=body) as response,
        ):
            return response.status, await response.json()

    async def until(
        self, predicate: Callable[[], object], timeout_s: float = 120.0, step_s: float = 0.1
    ) -> None:
        """Wait (in virtual time) until ``predicate()`` is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError(f"not true after {timeout_s} s: {predicate}")
            await asyncio.sleep(step_s)

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def login(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.engine.runtime.submit(inp.AgentLogin(agent_id))

    def agent(self, agent_id: str) -> AgentView:
        return self.engine.runtime.view.agents[agent_id]

    def bridged_agent(self, caller_channel: str) -> str | None:
        """The endpoint resource (e.g. ``1002``, or ``trunk`` for an escalation point) of the
        phone bridged with the caller."""
        peers = self.emu.pbx.bridged_with(caller_channel)
        if not peers:
            return None
        name = str(self.emu.pbx.describe_channel(peers[0])["name"])  # PJSIP/1002-00000003
        return name.split("/", 1)[1].rsplit("-", 1)[0]

    def media_played_to(self, channel_id: str) -> list[str]:
        """Every media URI the engine asked to play to ``channel_id``, in order."""
        played: list[str] = []
        for request in self.emu.requests("POST", f"/ari/channels/{channel_id}/play"):
            played += str(request.query.get("media", "")).split(",")
        return played

    def channel_exists(self, channel_id: str) -> bool:
        return channel_id in self.emu.pbx.channels

    async def records(self) -> list[ContactRecord]:
        await self.engine.recorder.flush()
        return list(await self.engine.store.list())


@asynccontextmanager
async def system(
    tmp_path: Path,
    behaviours: Mapping[str, Behaviour] | None = None,
    storage_url: str | None = None,
    overrides: Mapping[str, str] | None = None,
    extra_dialplan: Mapping[str, tuple[str, ...]] | None = None,
    config: Path = CONFIG,
    start: datetime = START,
    phones: Mapping[str, Behaviour] | None = None,
    trunk: Mapping[str, Behaviour] | None = None,
    missing_sounds_fail: bool = False,
) -> AsyncIterator[System]:
    base = load_settings(config, env={})
    pbx = pbx_config_from_settings(base, behaviours, trunk=trunk)
    if missing_sounds_fail:  # as a stock Asterisk: sounds a deployment records do not exist
        pbx = replace(pbx, sounds=replace(pbx.sounds, missing_fail=True))
    for resource, behaviour in (phones or {}).items():  # other phones: citizens called back
        pbx = pbx.with_endpoint(EndpointSpec(resource, behaviour))
    if extra_dialplan:
        targets = {n: StasisTarget("acd", args) for n, args in extra_dialplan.items()}
        pbx = replace(pbx, dialplan={**pbx.dialplan, **targets})
    async with run_emulator(config=pbx) as emu:
        settings = load_settings(
            config,
            env={},
            overrides={
                "ari.url": emu.url,
                "storage.url": storage_url or f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}",
                "http.listen": "127.0.0.1:0",
                # Virtual days pass in these tests: a renewal every 5 s would be thousands of
                # real SQL round trips for no test's sake.
                "storage.lease_ttl_s": "3600",
                "storage.lease_renew_s": "600",
                **(overrides or {}),
            },
        )
        counter = itertools.count(1)
        run = secrets.token_hex(3)  # ids unique across tests sharing one PostgreSQL database
        async with running_engine(
            settings,
            clock=Clock(wall_start=start),
            ids=lambda prefix: f"{prefix}-{run}-{next(counter)}",
        ) as engine:
            await engine.stream.wait_connected(timeout_s=10)
            assert engine.auth is not None
            _, token = await engine.auth.add_token("system-tests", frozenset({Scope.ADMIN}), start)
            yield System(engine, emu, token)
