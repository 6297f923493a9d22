"""The demo's simulated people (``acd demo``, one node or several): the agents, who use the
engine's HTTP API as any client does, with a token of their own; the callers, who dial the
lines on the emulated PBX; and the citizens whose phones a callback rings."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiohttp

from acd.auth.migrate import migrate as migrate_auth
from acd.auth.model import Scope
from acd.auth.store import AuthStore
from emulator import Emulator, EndpointBehaviour
from emulator.scripts import CallerScript
from escalations import EscalationPoint
from foundation.contact import ContactRecord
from ivr.numbers import normalise

log = logging.getLogger(__name__)

DRAIN_S = 15 * 60.0  # after the last arrival, how long calls in progress may finish

# The phone a callback rings: answers after a few seconds, talks a while.
CITIZEN_PHONE = EndpointBehaviour.answer(4.0, hangup_after_s=120.0)
PRESENT = {"presence": "available"}
REFUSALS = frozenset({409, 422})  # the point takes no transfer now, or no e-mail


@asynccontextmanager
async def demo_token(storage_url: str, now: datetime) -> AsyncIterator[str]:
    """An admin API token for the simulated agents, made before the engine opens the database
    and revoked at the end (the database may outlive the demo)."""
    await migrate_auth(storage_url)
    async with AuthStore.open(storage_url) as store:
        made, token = await store.add_token("demo", frozenset({Scope.ADMIN}), now)
        try:
            yield token
        finally:
            await store.revoke_token(made.id, now)


def place_call(emu: Emulator, number: str, caller: str, script: CallerScript) -> None:
    """A caller dials ``number``; the phone a callback to them would ring exists first."""
    citizen = normalise(caller)
    if citizen is not None:
        emu.pbx.set_endpoint(f"PJSIP/cb{citizen.lstrip('+')}", CITIZEN_PHONE)
    emu.pbx.place_call(number, caller_number=caller, script=script)


# The API session an agent acts through (its ``base_url`` the engine's), asked for when the
# agent acts: the demo opens it once the engine is up.
Session = Callable[[], aiohttp.ClientSession]


class SimulatedAgents:
    """What the agents do besides answering their phones (the emulator's endpoints do that),
    each a while later, through the API."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._tasks: set[asyncio.Task[None]] = set()

    async def call(
        self,
        session: Session,
        method: str,
        path: str,
        body: Any = None,
        expected: frozenset[int] = frozenset(),
    ) -> int:
        """``method path`` on the API; a refusal not ``expected`` is logged."""
        async with session().request(method, path, json=body) as resp:
            if resp.status >= 400 and resp.status not in expected:
                log.warning("%s %s: %s %s", method, path, resp.status, await resp.text())
            return resp.status

    def back_later(self, session: Session, agent_id: str) -> None:
        """An agent who missed a call sets themself available again after a while."""

        async def later() -> None:
            await asyncio.sleep(self._rng.uniform(30.0, 120.0))
            await self.call(session, "PUT", f"/api/agents/{agent_id}/presence", PRESENT)

        self._spawn(later())

    def may_escalate(
        self,
        session: Session,
        record: ContactRecord,
        points: Sequence[EscalationPoint],
        share: float,
        escalations: dict[str, int],
    ) -> None:
        """``share`` of the agents' calls is for an escalation point: a while into the call the
        agent transfers it by phone or mails the question, if the point takes it now.  Mails
        queued and refusals are counted in ``escalations`` (``email``, ``refused``)."""
        if self._rng.random() >= share or record.agent_id is None:
            return
        agent_id, line_code = record.agent_id, record.line_code
        by_phone = self._rng.random() < 0.6
        after_s = self._rng.uniform(20.0, 80.0)
        request_key = f"demo-{record.id}"

        async def later() -> None:
            await asyncio.sleep(after_s)
            candidates = [p for p in points if line_code in p.line_codes]
            if not candidates:
                return
            point = self._rng.choice(candidates)
            if by_phone:
                body: dict[str, str] = {"point_id": point.id}
                path, kind = f"/api/agents/{agent_id}/transfer", "phone"
            else:
                note = "Vraag van de burger, zie notitie"
                body = {"point_id": point.id, "note": note, "request_key": request_key}
                path, kind = f"/api/agents/{agent_id}/escalate-email", "email"
            status = await self.call(session, "POST", path, body, expected=REFUSALS)
            if status in REFUSALS:
                escalations["refused"] += 1
            elif kind == "email" and status < 300:
                escalations["email"] += 1

        self._spawn(later())

    def cancel(self) -> None:
        """What the agents were still about to do, at the end of the demo."""
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
