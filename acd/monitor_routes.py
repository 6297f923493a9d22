"""Listen, whisper, barge (issue 13): a supervisor's own phone joined to an agent's call.

``POST /api/agents/{agent_id}/monitor`` ``{"mode": "listen|whisper|barge", "endpoint": ...}``
calls the supervisor's phone (the engine core, :mod:`acd.engine.monitoring`, does the rest on
answer); ``DELETE`` ends it.  Both requests are audited by the guard; the session's own start
(the phone answered) and end (stopped, the supervisor hung up, the call ended, not answered)
go to the audit log from the core's monitor events (:class:`MonitorAudit`).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from acd.api import RUNTIME
from acd.api_models.monitor import MonitorBody
from acd.auth.keys import PRINCIPAL
from acd.auth.store import AuditEntry, AuthStore
from acd.engine import commands as cmd
from acd.engine import inputs as inp
from foundation.errors import ApiError, UnknownAgent
from foundation.json_body import parse_body, validate_body

log = logging.getLogger(__name__)

AGENT_ENDPOINTS = web.AppKey("agent_endpoints", dict)


async def start_monitor(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    body = await parse_body(request, MonitorBody)
    who = request[PRINCIPAL]
    endpoint = body.endpoint
    if endpoint is None:
        # The default: the phone of the supervisor's own agent, if their user has one.
        endpoint = request.app[AGENT_ENDPOINTS].get(who.agent_id or "")
        if endpoint is None:
            raise ApiError(
                422,
                "endpoint_required",
                "send endpoint (the supervisor's own phone, e.g. PJSIP/2001): this user has"
                " no agent whose phone could be the default",
            )
        # Configured, but still only a phone of the PBX: the API dials no trunk.
        validate_body({"endpoint": endpoint, "mode": body.mode}, MonitorBody)
    runtime = request.app[RUNTIME]
    if agent_id not in runtime.view.agents:
        raise UnknownAgent(agent_id)
    runtime.submit(inp.MonitorRequested(agent_id, body.mode, endpoint, who.name))
    return web.json_response(
        {"agent_id": agent_id, "mode": body.mode.value, "endpoint": endpoint, "state": "calling"},
        status=202,
    )


async def stop_monitor(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    request.app[RUNTIME].submit(inp.MonitorStopRequested(agent_id))
    return web.json_response({"agent_id": agent_id, "state": "ended"})


class MonitorAudit:
    """Writes each monitoring session's start and end to the audit log (in the background:
    the core's events must not wait for SQL)."""

    def __init__(self, store: AuthStore, agent_lines: dict[str, frozenset[str]]) -> None:
        self._store = store
        self._agent_lines = agent_lines
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, event: cmd.MonitorEvent) -> None:
        target = f"agent {event.agent_id}, contact {event.contact_id}, {event.mode}"
        if event.reason is not None:
            target += f", {event.reason}"
        entry = AuditEntry(
            event.at,
            event.supervisor,
            None,
            f"monitor.{event.kind}",
            target,
            200,
            None,
            tuple(sorted(self._agent_lines.get(event.agent_id, ()))),
        )
        task = asyncio.get_running_loop().create_task(self._write(entry))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, entry: AuditEntry) -> None:
        try:
            await self._store.audit(entry)
        except Exception:
            log.exception("could not audit %s", entry.action)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def add_monitor_routes(app: web.Application, agent_endpoints: dict[str, str]) -> None:
    app[AGENT_ENDPOINTS] = agent_endpoints
    app.router.add_post("/api/agents/{agent_id}/monitor", start_monitor)
    app.router.add_delete("/api/agents/{agent_id}/monitor", stop_monitor)
