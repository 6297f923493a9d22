"""The HTTP API of a started engine: the aiohttp application with every route group, the
guard of :mod:`acd.auth` in front of them, served on the port the composition root
(:mod:`acd.app`) bound before anything talked to the PBX.

    core API (agents, queues, health, /metrics) -> auth -> callbacks -> escalation points
    -> nodes -> escalation ratings -> agent's desk -> monitoring -> live events (/api/events)
    -> pages -> surveys -> recordings and listening -> desk requests forwarded to the node
    holding the call (several nodes) -> guard -> forwarded headers (outermost)
"""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack

from aiohttp import web

from acd.api import create_api
from acd.auth.guard import Directory, Guard
from acd.auth.routes import add_auth_routes
from acd.auth.store import AuthStore
from acd.desk_forwarding import contact_elsewhere, forward_desk_requests
from acd.desk_routes import add_desk_routes
from acd.escalation_rating_routes import add_escalation_rating_routes
from acd.escalation_routes import add_escalation_routes
from acd.forwarded import forwarded_middleware
from acd.http_server import base_url, serve
from acd.listening_routes import ListenAudit, add_listening_routes
from acd.live import LiveHub, add_live_routes
from acd.monitor_routes import MonitorAudit, add_monitor_routes
from acd.node_routes import LocalNode, NodesSource, SharedNodes, add_node_routes, calls_of
from acd.quality.scores import ScoreStore
from acd.recording_files import RecordingFiles
from acd.recording_routes import add_recording_routes
from acd.running import RunningEngine
from acd.settings import Settings
from acd.survey_routes import add_survey_routes
from acd.web import add_pages
from callbacks import CallbackStore
from callbacks.http import CALLBACK_STORE, add_callback_routes
from escalations.ratings import Group, RatingMetrics, SqlRatingStore
from foundation.calendars import Calendar
from foundation.networks import trusted_networks


async def serve_api(
    stack: AsyncExitStack, engine: RunningEngine, auth: AuthStore, listener: socket.socket
) -> str:
    """Build the API's application (kept as ``engine.api_app``), serve it on ``listener``
    until ``stack`` closes, and return its base URL."""
    settings = engine.settings
    guard = Guard(auth, settings.auth, engine.clock, _directory(settings, engine.callbacks))
    app = create_api(
        engine.runtime, engine.clock, engine.metrics, engine.health, authenticator=guard
    )
    add_auth_routes(
        app,
        guard,
        agents=[agent.id for agent in settings.agents],
        lines=[line.id for line in settings.lines],
    )
    app[CALLBACK_STORE] = engine.callbacks

    def calendar_of(line_id: str) -> Calendar | None:
        line = settings.line_by_id(line_id)
        return None if line is None else settings.line_calendar(line)

    add_callback_routes(app, CALLBACK_STORE, now=engine.clock.now, calendar_of=calendar_of)
    add_escalation_routes(
        app,
        engine.escalations,
        engine.runtime,
        line_codes=[code.name for code in settings.line_codes],
        line_users={code: line.id for line in settings.lines for code in line.line_codes},
        now=engine.clock.now,
        on_refused=engine.metrics.transfer_refused,
        mail_outbox=engine.mail_outbox,
        mail_template=settings.mail.template if settings.mail is not None else lambda name: None,
        on_mail_queued=lambda code, point: engine.metrics.escalation(
            code, point, "email", "queued"
        ),
    )
    add_node_routes(app, _nodes_source(engine))
    await _add_ratings(stack, app, engine)
    add_desk_routes(
        app,
        engine.store,
        engine.today,
        settings.engine.presence_reasons,
        settings.engine.missed_reason,
    )
    add_monitor_routes(app, {agent.id: agent.endpoint for agent in settings.agents})
    hub = LiveHub(
        engine.runtime.view, engine.clock, engine.today, engine.callbacks, guard.directory
    )
    engine.runtime.add_sink(hub)
    engine.runtime.monitor_listeners.append(hub.monitor_event)
    add_live_routes(app, hub)
    audit = MonitorAudit(auth, dict(guard.directory.agent_lines))
    engine.runtime.monitor_listeners.append(audit)
    stack.push_async_callback(audit.drain)
    engine_settings = settings.engine
    add_pages(
        app,
        presence_reasons=[
            r for r in engine_settings.presence_reasons if r != engine_settings.missed_reason
        ],
        quality=settings.quality,
    )
    add_survey_routes(app)
    if engine.recordings is not None:
        codes: dict[str, set[str]] = {}
        for line in settings.lines:
            for code in line.line_codes:
                codes.setdefault(code, set()).add(line.id)
        add_recording_routes(app, engine.recordings, codes, engine.clock.now)
        await _listening(stack, app, engine, auth)
    if settings.redis is not None:  # several nodes: a call's desk requests go to its node
        link = await forward_desk_requests(stack, app, settings.redis, engine.clock)
        hub.contact_elsewhere = contact_elsewhere(link)
    guard.install(app)
    if settings.http.trusted_proxies:  # outermost: every other layer sees the client's view
        app.middlewares.insert(
            0, forwarded_middleware(trusted_networks(settings.http.trusted_proxies))
        )
    engine.api_app = app
    # No access log (acd.http_server.serve): its lines would carry the query strings and the
    # clients' addresses, and the audit log (acd.auth) says who did what.
    runner = await serve(app, listener, engine.settings)
    stack.push_async_callback(runner.cleanup)
    return base_url(listener, engine.settings)


def _directory(settings: Settings, callbacks: CallbackStore) -> Directory:
    """Which lines each agent serves (through their line codes), for the guard."""
    codes = {line.id: frozenset(line.line_codes) for line in settings.lines}
    agent_lines = {
        agent.id: frozenset(line for line, its in codes.items() if its & set(agent.line_codes))
        for agent in settings.agents
    }

    async def callback_line(callback_id: str) -> str | None:
        found = await callbacks.get(callback_id)
        return None if found is None else found.line

    return Directory(agent_lines, codes, callback_line)


def _nodes_source(engine: RunningEngine) -> NodesSource:
    redis = engine.settings.redis
    if engine.nodes is None or redis is None:
        return LocalNode(lambda: engine.runtime.view, engine.clock, "local")
    return SharedNodes(engine.nodes, redis.lease_ttl_s, lambda: calls_of(engine.runtime.view))


async def _add_ratings(stack: AsyncExitStack, app: web.Application, engine: RunningEngine) -> None:
    """The escalation ratings' routes; their table migrated with the escalation points', the
    per-point gauges set from what is stored (right again after a restart)."""
    url = engine.settings.storage.url
    ratings = await stack.enter_async_context(SqlRatingStore.open(url, hold=engine.clock.hold))
    gauges = RatingMetrics(engine.metrics.registry)
    gauges.set(await ratings.summary(Group.POINT))
    add_escalation_rating_routes(
        app, ratings, find_contact=engine.store.get, now=engine.clock.now, on_rated=gauges.set
    )


async def _listening(
    stack: AsyncExitStack, app: web.Application, engine: RunningEngine, auth: AuthStore
) -> None:
    """Listening sessions (acd.listening_routes): the recordings' audio through a bounded
    local copy of the files Asterisk sends, each listen audited, and the quality scores."""
    settings = engine.settings
    scores = await stack.enter_async_context(
        ScoreStore.open(settings.storage.url, hold=engine.clock.hold)
    )
    files = await stack.enter_async_context(
        RecordingFiles.in_temporary_directory(
            engine.ari.stored_recording_file, settings.quality.audio_cache_mb * 1024 * 1024
        )
    )
    audit = ListenAudit(auth.audit, engine.clock.now)
    add_listening_routes(app, files, scores, settings.quality, engine.clock.now, audit)
