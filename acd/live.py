"""Live events for the agents' and supervisors' pages: ``GET /api/events``, a WebSocket.

WebSocket rather than server-sent events: one connection per page either way, but aiohttp
serves a WebSocket with a heartbeat that notices a dead peer, and the pages may later send
on it (acknowledgements) without a second channel.

Each page's connection is a :class:`Subscriber` with what its user may see: an agent their
own agent and contact; a supervisor the agents, contacts and wallboard of their lines; an
admin (or a token with ``agents:read``) everything; reporting the wallboard only, without
callers' numbers.  The engine's contact and agent events (the runtime's sinks) only mark
what changed ("dirty" keys); the connection's writer sends the *current* state of each
dirty key at most every :data:`MIN_INTERVAL_S` (0.2 s: at most ~5 messages a second per key,
so a wallboard at 50 updates a second does not flicker), and never drops the latest state:
what changed after a send is marked again and sent at the next turn.

Messages (JSON objects):

    {"type": "hello", "user", "role", "agent_id", "lines"}           once, on connect
    {"type": "agent", "agent": {...}}                                  as GET /api/agents/{id}
    {"type": "contact", "agent_id", "contact": {...} | null}          the agent's own contact,
                                                                       as GET .../contact
    {"type": "contact", "contact_id", "contact": {...} | null}        a contact of a
                                                                       supervisor's lines (null:
                                                                       it ended)
    {"type": "wallboard", "wallboard": {...}}                          as GET /api/wallboard
    {"type": "monitor", "event": {...}}                                a monitoring session
                                                                       started or ended
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import WSMsgType, web

from acd.auth.guard import Directory
from acd.auth.model import Principal, Role, Scope, Via
from acd.engine import commands as cmd
from acd.engine.desk import agent_contact
from acd.engine.snapshot import agent_view, contact_view
from acd.engine.view import EngineView
from acd.today import TodayFigures
from acd.wallboard import wallboard
from callbacks.model import Callback, CallbackStatus
from callbacks.store import CallbackStore
from foundation.clock import Clock
from foundation.contact import Activity, AgentEvent, ContactEvent, ContactRecord
from foundation.errors import ApiError

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 0.2  # between two sends on one connection
CALLBACKS_FRESH_S = 1.0  # the pending callbacks behind the wallboard, read at most this often
HEARTBEAT_S = 30.0
SESSION_CHECK_S = 30.0  # how soon an open page notices its session has ended
SESSION_ENDED = 4401  # the WebSocket close code then (4000-4999: the application's own)
ContactElsewhere = Callable[[Principal, str], Awaitable[dict[str, Any] | None]]
Key = tuple[str, str]  # ("agent", id), ("contact", agent or contact id), ("wallboard", "")
WALLBOARD: Key = ("wallboard", "")


@dataclass(eq=False)
class Subscriber:
    """One open page: what it may see, and what changed since its last send."""

    principal: Principal
    everything: bool  # admin or a token: every line
    agents: frozenset[str]  # the agents whose state it sees
    lines: frozenset[str]  # the lines whose contacts and wallboard it sees
    own_agent: str | None  # an agent's page: their contact, as GET .../contact
    wallboard: bool
    callers: bool  # callers' numbers shown (not for reporting)
    dirty: dict[Key, None] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def mark(self, key: Key) -> None:
        self.dirty[key] = None
        self.wake.set()

    def sees_line(self, line: str | None) -> bool:
        return self.everything or (line is not None and line in self.lines)


class LiveHub:
    """A contact event sink and monitor listener that feeds the open pages."""

    def __init__(
        self,
        view: EngineView,
        clock: Clock,
        today: TodayFigures,
        callbacks: CallbackStore,
        directory: Directory,
    ) -> None:
        self._view = view
        self._clock = clock
        self._today = today
        self._callbacks = callbacks
        self._directory = directory
        self._subscribers: set[Subscriber] = set()
        self._pending: tuple[datetime, list[Callback]] | None = None
        self._monitor_events: list[tuple[Subscriber, dict[str, Any]]] = []
        # With several nodes: the agent's contact as the node holding their call shows it
        # (acd.desk_forwarding.contact_elsewhere), for an agent whose call is not here.
        self.contact_elsewhere: ContactElsewhere | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # ------------------------------------------------------------------ who sees what

    def subscriber(self, who: Principal) -> Subscriber:
        if who.via is Via.TOKEN:
            if not who.has_scope(Scope.AGENTS_READ):
                raise ApiError(403, "scope_missing", "this token lacks the agents:read scope")
            return Subscriber(
                who, True, frozenset(self._view.agents), frozenset(), None, True, True
            )
        if who.role is Role.ADMIN:
            return Subscriber(
                who, True, frozenset(self._view.agents), frozenset(), None, True, True
            )
        if who.role is Role.SUPERVISOR:
            agents = frozenset(
                agent for agent, its in self._directory.agent_lines.items() if its & who.lines
            )
            return Subscriber(who, False, agents, who.lines, None, True, True)
        if who.role is Role.REPORTING:
            return Subscriber(who, True, frozenset(), frozenset(), None, True, False)
        if who.role is Role.AGENT and who.agent_id:
            own = frozenset({who.agent_id})
            return Subscriber(who, False, own, frozenset(), who.agent_id, False, True)
        raise ApiError(403, "role_refused", "this user has no live events to see")

    def open(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)
        for agent in sorted(subscriber.agents):
            subscriber.mark(("agent", agent))
        if subscriber.own_agent is not None:
            subscriber.mark(("contact", subscriber.own_agent))
        if subscriber.wallboard:
            subscriber.mark(WALLBOARD)

    def close(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    # ------------------------------------------------------------------ the engine's events

    def contact_event(self, event: ContactEvent) -> None:
        record = event.contact
        agents = _agents_of(record)
        for sub in self._subscribers:
            if sub.own_agent is not None:
                if sub.own_agent in agents:
                    sub.mark(("contact", sub.own_agent))
                continue
            if sub.sees_line(record.line):
                if sub.callers:  # reporting reads figures, not who is calling
                    sub.mark(("contact", record.id))
                if sub.wallboard:
                    sub.mark(WALLBOARD)

    def agent_event(self, event: AgentEvent) -> None:
        for sub in self._subscribers:
            if event.agent_id in sub.agents:
                sub.mark(("agent", event.agent_id))
                if sub.own_agent == event.agent_id:
                    sub.mark(("contact", event.agent_id))  # wrap-up over, an offer
            if sub.wallboard and (
                sub.everything
                or self._directory.agent_lines.get(event.agent_id, frozenset()) & sub.lines
            ):
                sub.mark(WALLBOARD)

    def monitor_event(self, event: cmd.MonitorEvent) -> None:
        body = {**asdict(event), "at": event.at.isoformat()}
        for sub in self._subscribers:
            if sub.own_agent is None and event.agent_id in sub.agents:
                self._monitor_events.append((sub, body))
                sub.wake.set()

    # ------------------------------------------------------------------ what a page is sent

    async def _elsewhere(self, who: Principal, agent_id: str) -> dict[str, Any] | None:
        if self.contact_elsewhere is None:
            return None
        try:
            return await self.contact_elsewhere(who, agent_id)
        except Exception as error:  # the page's next refresh asks again
            log.warning("live events: agent %s's contact on another node: %s", agent_id, error)
            return None

    async def messages(self, sub: Subscriber) -> list[dict[str, Any]]:
        """The current state of every key marked since the last call, and clears them."""
        keys = list(sub.dirty)
        sub.dirty.clear()
        sub.wake.clear()
        now = self._clock.now()
        out: list[dict[str, Any]] = []
        mine = [body for s, body in self._monitor_events if s is sub]
        self._monitor_events = [(s, b) for s, b in self._monitor_events if s is not sub]
        out += [{"type": "monitor", "event": body} for body in mine]
        for kind, subject in keys:
            if kind == "agent":
                agent = self._view.agents.get(subject)
                if agent is not None:
                    out.append({"type": "agent", "agent": agent_view(agent, now)})
            elif kind == "contact" and sub.own_agent == subject:
                agent = self._view.agents.get(subject)
                found = agent_contact(self._view, agent, now) if agent is not None else None
                if found is None and agent is not None and agent.activity is not Activity.IDLE:
                    found = await self._elsewhere(sub.principal, subject)
                out.append({"type": "contact", "agent_id": subject, "contact": found})
            elif kind == "contact":
                contact = self._view.contacts.get(subject)
                seen = contact_view(contact, now, self._view) if contact is not None else None
                out.append({"type": "contact", "contact_id": subject, "contact": seen})
            elif kind == "wallboard":
                lines = None if sub.everything else sub.lines
                board = wallboard(
                    self._view, self._today, await self._pending_callbacks(), now, lines
                )
                out.append({"type": "wallboard", "wallboard": board})
        return out

    async def _pending_callbacks(self) -> list[Callback]:
        now = self._clock.now()
        if self._pending is None or (now - self._pending[0]).total_seconds() > CALLBACKS_FRESH_S:
            found = await self._callbacks.list(status=CallbackStatus.PENDING, limit=100_000)
            self._pending = (now, found)
        return self._pending[1]


def _agents_of(record: ContactRecord) -> set[str]:
    """The agents a contact event concerns: who answered it and who it rings."""
    found = {offer.agent_id for offer in record.offers[-1:]}
    if record.agent_id is not None:
        found.add(record.agent_id)
    return found


# ---------------------------------------------------------------------- the route


LIVE = web.AppKey("live_hub", LiveHub)


async def events(request: web.Request) -> web.StreamResponse:
    from acd.auth.keys import PRINCIPAL

    hub = request.app[LIVE]
    subscriber = hub.subscriber(request[PRINCIPAL])
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
    if not ws.can_prepare(request).ok:
        raise ApiError(400, "websocket_required", "GET /api/events is a WebSocket: upgrade")
    await ws.prepare(request)
    who = subscriber.principal
    await ws.send_json(
        {
            "type": "hello",
            "user": who.name,
            "role": who.role.value if who.role else None,
            "agent_id": who.agent_id,
            "lines": sorted(who.lines),
        }
    )
    hub.open(subscriber)
    loop = asyncio.get_running_loop()
    writer = loop.create_task(_write(hub, subscriber, ws))
    watcher = loop.create_task(_watch_session(request, ws))
    try:
        async for message in ws:  # the page sends nothing yet: read until it closes
            if message.type is WSMsgType.ERROR:
                break
    finally:
        hub.close(subscriber)
        for task in (writer, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return ws


async def _watch_session(request: web.Request, ws: web.WebSocketResponse) -> None:
    """Close the socket once its session has ended (signed out, expired, user disabled): a
    signed-out browser must not go on receiving.  The page reconnects and is refused (401)."""
    from acd.api import AUTH
    from acd.auth.guard import Guard

    guard = request.app[AUTH]
    if not isinstance(guard, Guard):
        return
    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK_S)
        if not await guard.still_signed_in(request):
            log.info("live events: the session ended; closing the socket")
            await ws.close(code=SESSION_ENDED, message=b"session ended")
            return


async def _write(hub: LiveHub, subscriber: Subscriber, ws: web.WebSocketResponse) -> None:
    loop = asyncio.get_running_loop()
    try:
        while not ws.closed:
            await subscriber.wake.wait()
            sent_at = loop.time()
            for message in await hub.messages(subscriber):
                await ws.send_json(message)
            # Coalesce: what changes in the next interval goes out once, at its latest.
            await asyncio.sleep(max(0.0, MIN_INTERVAL_S - (loop.time() - sent_at)))
    except (ConnectionError, RuntimeError) as exc:
        log.info("live events to %s stopped: %s", subscriber.principal.name, exc)
        await ws.close()


def add_live_routes(app: web.Application, hub: LiveHub) -> None:
    app[LIVE] = hub
    app.router.add_get("/api/events", events)
