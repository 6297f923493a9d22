"""The engine's HTTP API (aiohttp): agent log-in/out and presence, snapshots, metrics.

Every error is JSON ``{"status", "error", "message", "details"}`` with a stable error id.
Authentication is a pluggable :class:`Authenticator` run by a middleware before any handler.
The engine's app runs :class:`acd.auth.guard.Guard` (every route in :mod:`acd.auth.policy`);
the default, :class:`AllowAll`, is for tests of the handlers alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from acd.api_models.agents import PresenceBody
from acd.auth.keys import HIDE_CALLERS, VISIBLE_AGENTS, VISIBLE_LINE_CODES
from acd.engine import inputs as inp
from acd.engine.runtime import EngineRuntime
from acd.engine.snapshot import agent_view, agents_snapshot, queues_snapshot
from acd.openapi import PATH as OPENAPI_PATH
from acd.openapi import serve_openapi
from acd.outages import unreachable
from foundation.clock import Clock
from foundation.errors import ApiError, RefusedTransition, UnknownAgent
from foundation.json_body import MAX_REQUEST_BODY, parse_body, refuse_large_bodies

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Authenticator(Protocol):
    """Decides who may call the API.  Raise :class:`ApiError` (401/403) to refuse."""

    async def authenticate(self, request: web.Request) -> None: ...


class AllowAll:
    async def authenticate(self, request: web.Request) -> None:
        return None


class MetricsSource(Protocol):
    content_type: str

    def render(self) -> bytes: ...


RUNTIME = web.AppKey("runtime", EngineRuntime)
CLOCK = web.AppKey("clock", Clock)
METRICS = web.AppKey[MetricsSource]("metrics")
AUTH = web.AppKey[Authenticator]("auth")
HEALTH = web.AppKey[Callable[[], dict[str, Any]]]("health")

_REFUSAL_STATUS = {
    "invalid_reason": 422,
    "agent_logged_out": 409,
    "unknown_reason": 422,
    "not_monitored": 404,
}


def error_body(
    status: int, error_id: str, message: str, details: dict[str, Any] | None = None
) -> web.Response:
    return web.json_response(
        {"status": status, "error": error_id, "message": message, "details": details or {}},
        status=status,
    )


@web.middleware
async def errors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        await request.app[AUTH].authenticate(request)
        return await handler(request)
    except ApiError as exc:
        refused = error_body(exc.status, exc.error_id, exc.message, exc.details)
        refused.headers.update(exc.headers)
        return refused
    except UnknownAgent as exc:
        return error_body(404, "agent_not_found", str(exc), {"agent_id": exc.agent_id})
    except RefusedTransition as exc:
        return error_body(_REFUSAL_STATUS.get(exc.error_id, 409), exc.error_id, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_body(exc.status, _http_error_id(exc.status), exc.reason)
    except Exception as exc:
        if unreachable(exc):
            # The database (or Redis) is away: say so, and that trying again may work; the
            # details (which may quote SQL and its values) stay in the log.
            log.warning("API request %s %s: %s", request.method, request.path, exc)
            refused = error_body(
                503,
                "storage_unavailable",
                f"the engine cannot reach its storage ({type(exc).__name__}): try again shortly",
            )
            refused.headers["Retry-After"] = "5"
            return refused
        log.exception("API request %s %s failed", request.method, request.path)
        return error_body(500, "internal_error", "the request failed; see the engine log")


def _http_error_id(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")


def _runtime(request: web.Request) -> EngineRuntime:
    return request.app[RUNTIME]


def _agent_response(request: web.Request, agent_id: str) -> web.Response:
    runtime = _runtime(request)
    agent = runtime.view.agents.get(agent_id)
    if agent is None:
        raise UnknownAgent(agent_id)
    return web.json_response(agent_view(agent, request.app[CLOCK].now()))


async def list_agents(request: web.Request) -> web.Response:
    view = _runtime(request).view
    found = agents_snapshot(view, request.app[CLOCK].now())
    visible = request.get(VISIBLE_AGENTS)  # a supervisor sees the agents of their lines
    if visible is not None:
        found = [agent for agent in found if agent["id"] in visible]
    return web.json_response({"agents": found})


async def get_agent(request: web.Request) -> web.Response:
    return _agent_response(request, request.match_info["agent_id"])


async def login(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    _runtime(request).submit(inp.AgentLogin(agent_id))
    return _agent_response(request, agent_id)


async def logout(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    _runtime(request).submit(inp.AgentLogout(agent_id))
    return _agent_response(request, agent_id)


async def set_presence(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    body = await parse_body(request, PresenceBody)
    _runtime(request).submit(inp.SetPresence(agent_id, body.presence, body.reason))
    return _agent_response(request, agent_id)


async def list_queues(request: web.Request) -> web.Response:
    view = _runtime(request).view
    found = queues_snapshot(view, request.app[CLOCK].now())
    visible = request.get(VISIBLE_LINE_CODES)  # a supervisor sees their lines' line codes
    if visible is not None:
        found = [queue for queue in found if queue["line_code"] in visible]
    if request.get(HIDE_CALLERS):  # reporting reads figures, not who is calling
        for queue in found:
            queue.pop("contacts", None)
    return web.json_response({"queues": found})


async def metrics(request: web.Request) -> web.Response:
    source = request.app[METRICS]
    resp = web.Response(body=source.render())
    resp.headers["Content-Type"] = source.content_type
    return resp


async def health(request: web.Request) -> web.Response:
    state = request.app[HEALTH]()
    return web.json_response(state, status=200 if state.get("ok") else 503)


def create_api(
    runtime: EngineRuntime,
    clock: Clock,
    metrics_source: MetricsSource,
    health_check: Callable[[], dict[str, Any]] | None = None,
    *,
    authenticator: Authenticator,
) -> web.Application:
    """The API's app with its agent, queue, metrics and health routes.  ``authenticator`` has
    no default, so an app cannot be built open by forgetting it: the engine passes
    :class:`acd.auth.guard.Guard`, tests of the handlers alone :class:`AllowAll`."""
    # The body guard outermost: a 10 MB body is refused before authentication reads anything.
    app = web.Application(
        middlewares=[refuse_large_bodies, errors_and_auth], client_max_size=MAX_REQUEST_BODY
    )
    app[RUNTIME] = runtime
    app[CLOCK] = clock
    app[METRICS] = metrics_source
    app[AUTH] = authenticator
    app[HEALTH] = health_check or (lambda: {"ok": True})
    app.router.add_get("/api/agents", list_agents)
    app.router.add_get("/api/agents/{agent_id}", get_agent)
    app.router.add_post("/api/agents/{agent_id}/login", login)
    app.router.add_post("/api/agents/{agent_id}/logout", logout)
    app.router.add_put("/api/agents/{agent_id}/presence", set_presence)
    app.router.add_get("/api/queues", list_queues)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", health)
    app.router.add_get(OPENAPI_PATH, serve_openapi)  # built from the route table (acd.openapi)
    return app
