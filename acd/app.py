"""The composition root: builds the engine's parts from the settings, starts them in order and
tears them down in reverse.  ``acd run``, ``acd demo`` and the system tests all start the engine
through :func:`running_engine`, so there is exactly one way the parts are wired.

    HTTP port bound, database reached (StartupRefused in one line: before anything touches
        the PBX) -> lease (refuse if another engine holds this ARI app) -> storage (migrate,
        recorder, agent-state writer, callbacks, escalation points seeded from the config)
        -> metrics
        -> ARI client -> core + runtime (agents restored)
        -> events WebSocket (on_event -> runtime; on_connected -> event filter, runtime)
        -> e-mail escalation outbox and its sender (when acd.yaml has a mail section)
        -> auth (users, sessions, tokens, audit: migrated with the storage)
        -> HTTP API on the bound port (HTTPS when configured), every route behind the guard
        of acd.auth
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from acd.api import create_api
from acd.ari import events as ev
from acd.ari.client import AriClient
from acd.ari.event_filter import EventFilter
from acd.ari.stream import Backoff, EventStream
from acd.ari.ws_rest import RESPONSE_EVENT, WsRestTransport
from acd.auth.guard import Directory, Guard
from acd.auth.routes import add_auth_routes
from acd.auth.setup import open_auth
from acd.auth.store import AuthStore
from acd.desk_routes import add_desk_routes
from acd.engine.agents import day_start
from acd.engine.core import EngineCore, IdFactory, random_ids
from acd.engine.dialer import CallbackDialer
from acd.engine.model import EngineConfig
from acd.engine.runtime import ENGINE_EVENTS, EngineRuntime
from acd.escalation_rating_routes import add_escalation_rating_routes
from acd.escalation_routes import add_escalation_routes
from acd.forwarded import forwarded_middleware
from acd.http_server import base_url, bind_listener, serve
from acd.lease import LeaseKeeper, LeaseStore, lease_key
from acd.lease import migrate as migrate_lease
from acd.listening_routes import ListenAudit, add_listening_routes
from acd.live import LiveHub, add_live_routes
from acd.monitor_routes import MonitorAudit, add_monitor_routes
from acd.node_routes import LocalNode, NodesSource, SharedNodes, add_node_routes, calls_of
from acd.quality.metrics import SurveyMetrics
from acd.quality.migrate import migrate as migrate_quality
from acd.quality.recordings import RecordingRecorder, RecordingStore
from acd.quality.retention import RecordingRetention
from acd.quality.scores import ScoreStore
from acd.quality.surveys import SurveyRecorder, SurveyStore
from acd.recording_files import RecordingFiles
from acd.recording_routes import add_recording_routes
from acd.records.migrate import migrate
from acd.records.store import ContactStore
from acd.records.together import RecordsStore, RecordsWriter
from acd.reports.load import report_for
from acd.reports.period import Period
from acd.reports.runs import ReportRunStore
from acd.reports.schedule import schedules_of
from acd.reports.scheduler import REPORT_MAIL, ReportScheduler
from acd.reports.tables import Report
from acd.settings import Settings
from acd.state.node import NodeMembership
from acd.state.pool import LocalAgentEvents, SharedPool
from acd.state.setup import (
    join_nodes,
    load_pool,
    open_pool,
    reassert_after_resync,
    shared_reservations,
)
from acd.survey_routes import add_survey_routes
from acd.today import TodayFigures
from acd.web import add_pages
from callbacks import CallbackRules, CallbackStore
from callbacks import migrate as migrate_callbacks
from callbacks.http import CALLBACK_STORE, add_callback_routes
from escalations import SqlEscalationStore
from escalations import migrate as migrate_escalations
from escalations.mail import (
    CrmTransport,
    MailMetrics,
    MailOutboxStore,
    MailSender,
    Outbox,
    SmtpTransport,
    Transport,
    Via,
)
from escalations.mail import migrate as migrate_mail
from escalations.ratings import Group, RatingMetrics, SqlRatingStore
from foundation.calendars import Calendar, is_open
from foundation.clock import Clock, Hold
from foundation.contact import AgentRecord, ContactEventSink, ContactRecord
from foundation.errors import StartupRefused
from foundation.networks import trusted_networks
from foundation.redact import redact_url
from foundation.sql import create_engine
from sla.callback_metrics import CallbackEvents, CallbackMetrics
from sla.metrics import EngineMetrics

log = logging.getLogger(__name__)


@dataclass
class RunningEngine:
    settings: Settings
    clock: Clock
    core: EngineCore
    runtime: EngineRuntime
    ari: AriClient
    stream: EventStream
    # Contact records, agent states and wrap-ups, written together (acd.records.together).
    recorder: RecordsWriter
    store: ContactStore
    callbacks: CallbackStore
    dialer: CallbackDialer
    metrics: EngineMetrics
    http_url: str | None
    # Set when another engine took this ARI application over: the engine has stopped its
    # events stream, and whoever runs it should exit (see acd.lease).
    lost_lease: asyncio.Event
    # Each agent's presence, reason and day counters, saved as they change (acd.records).
    agent_states: RecordsWriter  # the recorder
    # The escalation points, seeded from escalation_points.yaml, edited through the API.
    escalations: SqlEscalationStore
    # E-mail escalation (escalations.mail.escalate_by_email takes it); None when acd.yaml has
    # no mail section, and escalating by e-mail is refused.
    mail_outbox: Outbox | None = None
    # Users, sessions, tokens and the audit log (acd.auth); None only without the HTTP API.
    auth: AuthStore | None = None
    # The HTTP API's application, for tests that walk its routes.
    api_app: web.Application | None = None
    # Agents' wrap-ups by the contact they followed (the reports' AHT); None only in tests.
    wrap_ups: RecordsWriter | None = None  # the recorder
    # Today's offered / answered / abandoned per line and line code (the wallboard's).
    today: TodayFigures = field(default_factory=TodayFigures)
    # This node's lease in the shared state (acd.state); None: one node, no redis section.
    nodes: NodeMembership | None = None
    # This node's replica of the shared agent pool (acd.state.pool); None: one node.
    pool: SharedPool | None = None
    # Survey answers, one row per answer as keyed (acd.quality); None only in tests.
    surveys: SurveyStore | None = None
    # Call recordings' metadata (acd.quality); None only in tests.
    recordings: RecordingStore | None = None

    def health(self) -> dict[str, Any]:
        return {
            "ok": self.stream.connected,
            "ari_connected": self.stream.connected,
            "records_backlog": self.recorder.backlog_of(ContactRecord),
            "agent_states_backlog": self.recorder.backlog_of(AgentRecord),
        }


@asynccontextmanager
async def running_engine(
    settings: Settings,
    *,
    clock: Clock | None = None,
    http: bool = True,
    ids: IdFactory = random_ids,
    extra_sinks: Sequence[ContactEventSink] = (),
    take_over: bool = False,
) -> AsyncIterator[RunningEngine]:
    """Start the whole engine; on exit stop it, flushing contact records first.

    Raises :class:`foundation.errors.EngineAlreadyRunning` if a live engine holds the ARI
    application, unless ``take_over``.
    """
    clock = clock or Clock()
    ari_settings = settings.ari
    async with AsyncExitStack() as stack:
        # What can be checked is checked before anything talks to Asterisk, each refused in one
        # line (StartupRefused): the HTTP port (bound now, so it cannot be taken meanwhile),
        # then the database.
        listener = bind_listener(settings) if http else None
        if listener is not None:
            stack.callback(listener.close)
        # The stores hold the clock still around their database work (on virtual time).
        hold = clock.hold
        # First, before anything talks to Asterisk: a second engine would take the app over.
        await _storage_reachable(settings.storage.url, hold)
        leases = await stack.enter_async_context(LeaseStore.open(settings.storage.url, hold=hold))
        lost_lease = asyncio.Event()
        engine_key = lease_key(str(ari_settings.url), ari_settings.app)
        lease = LeaseKeeper(
            leases,
            engine_key,
            clock,
            lost_lease.set,
            ttl_s=settings.storage.lease_ttl_s,
            renew_every_s=settings.storage.lease_renew_s,
        )
        await lease.start(take_over=take_over)
        stack.push_async_callback(lease.stop)
        await migrate(settings.storage.url, hold=hold)
        records = await _records(stack, settings.storage.url, hold, engine_key)
        store = records.contacts
        stored_agents = await records.agents.load()
        recorder = RecordsWriter(records)
        await recorder.start()
        stack.push_async_callback(_stop_records, recorder)
        # Callbacks are awaited, not queued: a caller hears "we will call you back" only once
        # the promise is on disk.
        await migrate_callbacks(settings.storage.url, hold=hold)
        callbacks = await stack.enter_async_context(
            CallbackStore.open(settings.storage.url, hold=hold)
        )

        escalations = await _escalation_points(stack, settings, clock)

        metrics = EngineMetrics(now=clock.now, short_abandon_s=settings.engine.short_abandon_s)
        callback_metrics = CallbackMetrics(metrics.registry)  # one /metrics for both
        metrics.declare_escalations((p.id, p.line_codes) for p in await escalations.list())
        ws_rest = (
            WsRestTransport(timeout_s=ari_settings.request_timeout_s)
            if ari_settings.rest_over == "websocket"
            else None
        )
        ari = AriClient(
            str(ari_settings.url),
            ari_settings.username,
            ari_settings.password.get_secret_value(),
            ari_settings.app,
            request_timeout_s=ari_settings.request_timeout_s,
            max_connections=ari_settings.max_connections,
            rest=ws_rest,
            http_client=ari_settings.http_client,
        )
        stack.push_async_callback(ari.close)

        today = TodayFigures(short_abandon_s=settings.engine.short_abandon_s)
        # The wallboard's day so far: the calls of today that ended before this start.
        start_of_day = day_start(clock.now())
        today.load(await store.list(since=start_of_day, limit=1_000_000), clock.now())
        # Several nodes (acd.state): agents are reserved in Redis; one node: in memory.
        redis = settings.redis
        reservations = None if redis is None else shared_reservations(stack, redis)
        core = EngineCore(EngineConfig.from_settings(settings), ids=ids, reservations=reservations)
        runtime = EngineRuntime(
            core,
            ari,
            clock,
            [
                # Another node's change to a shared agent is that node's to store.
                recorder if redis is None else LocalAgentEvents(recorder),
                metrics,
                CallbackEvents(callback_metrics),
                today,
                *extra_sinks,
            ],
            ari_settings.app,
            callbacks,
            records=store,  # the calls a restart takes up (acd.engine.recovery)
        )
        # Before the first event and before the gauges are announced: agents stay logged in
        # over a restart, and the longest idle is still offered first.
        surveys, recordings = await _quality(stack, settings, clock, runtime, metrics, ari)
        pool = snapshot = None
        if redis is not None:
            # The shared agent pool: agents Redis knows come from there, the others from SQL
            # (and are published); this node's changes are published from now on.
            skills = {agent.id: agent.line_codes for agent in core.config.agents}
            pool = await open_pool(stack, redis, clock, runtime.submit, skills, reservations)
            runtime.add_sink(pool)
            snapshot = await load_pool(pool, redis)
            stored_agents = [a for a in stored_agents if a.agent_id not in pool.known(snapshot)]
        runtime.restore_agents(stored_agents)
        if pool is not None and snapshot is not None:
            pool.apply(snapshot, starting=True)
        runtime.start()
        stack.push_async_callback(runtime.close)
        nodes = None
        if redis is not None and pool is not None:  # joined before an event can reserve
            nodes = await join_nodes(
                stack,
                redis,
                clock,
                lambda: calls_of(runtime.view),
                app=engine_key,
                reservations=reservations,
                on_reaped=pool.announce,
            )
            nodes.outage.watch(metrics.dependency)
            nodes.on_lost.append(runtime.pause_offers)
            # After the reservations' reassert: a Redis that came back empty gets the agents
            # again from SQL, then offers resume.
            nodes.on_rejoin.append(partial(pool.restore_missing, records.agents.load))
            nodes.on_rejoin.append(runtime.resume_offers)
            if reservations is not None:
                reassert = asyncio.create_task(
                    reassert_after_resync(runtime.resynced, reservations), name="reassert"
                )
                stack.callback(reassert.cancel)
            await pool.start()
            stack.push_async_callback(pool.stop)

        dialer = CallbackDialer(
            runtime,
            callbacks,
            _callback_rules(settings),
            clock,
            interval_s=settings.engine.callback_dialer_interval_s,
            metrics=callback_metrics,
        )
        await dialer.start()
        stack.push_async_callback(dialer.stop)

        mail_outbox = await _mail_outbox(stack, settings, clock, metrics)
        await _report_scheduler(stack, settings, clock, mail_outbox)

        wanted = ev.type_names(ENGINE_EVENTS)
        if ws_rest is not None:
            wanted = (*wanted, RESPONSE_EVENT)  # else the filter swallows the REST answers
        event_filter = EventFilter(ari, ari_settings.app, wanted, enabled=ari_settings.event_filter)
        stream = EventStream(
            str(ari_settings.url),
            ari_settings.username,
            ari_settings.password.get_secret_value(),
            ari_settings.app,
            on_event=runtime.on_event,
            on_connected=event_filter.before(runtime.on_connected),
            backoff=Backoff(ari_settings.reconnect_min_s, ari_settings.reconnect_max_s),
            rest=ws_rest,
        )
        metrics.watch_ari(lambda: stream.connected)
        stream.outage.watch(metrics.dependency)
        recorder.outage.watch(metrics.dependency)
        _watch_lines(metrics, core.config)
        stream.start()
        stack.push_async_callback(stream.stop)
        # Taken over: stop listening at once rather than take the app back from the new engine.
        stop_on_loss = asyncio.create_task(_stop_when(lost_lease, stream), name="lease-lost")
        stack.callback(stop_on_loss.cancel)

        engine = RunningEngine(
            settings,
            clock,
            core,
            runtime,
            ari,
            stream,
            recorder,
            store,
            callbacks,
            dialer,
            metrics,
            None,
            lost_lease,
            agent_states=recorder,
            escalations=escalations,
            mail_outbox=mail_outbox,
            wrap_ups=recorder,
            today=today,
            nodes=nodes,
            pool=pool,
            surveys=surveys,
            recordings=recordings,
        )
        if listener is not None:
            engine.auth = await open_auth(
                stack, settings.storage.url, settings.auth, clock, hold=hold
            )
            engine.http_url = await _serve_api(stack, engine, engine.auth, listener)
        log.info(
            "engine up: ARI %s app %r, storage %s, API %s",
            redact_url(str(ari_settings.url)),
            ari_settings.app,
            redact_url(settings.storage.url),
            engine.http_url or "off",
        )
        yield engine


# How long a stopping engine waits for its records to reach a database that is away: then it
# stops all the same, and the records still unsaved are named in the log (acd.records.writer).
STOP_RECORDS_WITHIN_S = 30.0


async def _stop_records(recorder: RecordsWriter) -> None:
    try:
        async with asyncio.timeout(STOP_RECORDS_WITHIN_S):
            await recorder.stop()
    except TimeoutError:
        log.error("stopped without saving every record: the database did not answer")


async def _records(stack: AsyncExitStack, url: str, hold: Hold, engine_key: str) -> RecordsStore:
    """Contacts, agent states and wrap-ups on one SQL engine (disposed by ``stack``): the
    recorder writes the three in one transaction.  Migrated already."""
    engine = create_engine(url)

    async def dispose() -> None:
        with hold():
            await engine.dispose()

    stack.push_async_callback(dispose)
    store = RecordsStore(engine, hold=hold, engine_key=engine_key, url=url)
    stack.push_async_callback(store.close)
    return store


async def _quality(
    stack: AsyncExitStack,
    settings: Settings,
    clock: Clock,
    runtime: EngineRuntime,
    metrics: EngineMetrics,
    ari: AriClient,
) -> tuple[SurveyStore, RecordingStore]:
    """The survey answers' and recordings' stores (own migrations) and writers, as the
    runtime's sinks; the survey metrics; the recordings' retention sweeps."""
    url = settings.storage.url
    await migrate_quality(url, hold=clock.hold)
    store = await stack.enter_async_context(SurveyStore.open(url, hold=clock.hold))
    writer = SurveyRecorder(store)
    await writer.start()
    stack.push_async_callback(writer.stop)
    runtime.survey_sinks += [writer, SurveyMetrics(metrics.registry)]
    recordings = await stack.enter_async_context(RecordingStore.open(url, hold=clock.hold))
    recorder = RecordingRecorder(recordings)
    await recorder.start()
    stack.push_async_callback(recorder.stop)
    runtime.recording_sinks.append(recorder)
    retention = RecordingRetention(
        recordings,
        ari.delete_stored_recording,
        clock,
        {line.id: line.recording.retention_days for line in settings.lines},
    )
    await retention.start()
    stack.push_async_callback(retention.stop)
    return store, recordings


def _watch_lines(metrics: EngineMetrics, config: EngineConfig) -> None:
    """Every configured line and line code on /metrics from the start, and whether each line
    is open now."""
    metrics.declare_lines((ln.id, code) for ln in config.lines for code in ln.line_codes)
    metrics.watch_lines(
        lambda now: {ln.id: ln.calendar is None or is_open(ln.calendar, now) for ln in config.lines}
    )


def _mail_queued(metrics: EngineMetrics, line_code: str, point: str) -> None:
    metrics.escalation(line_code, point, "email", "queued")


async def _escalation_points(
    stack: AsyncExitStack, settings: Settings, clock: Clock
) -> SqlEscalationStore:
    """The escalation point store, migrated, with the configured points it did not hold yet
    (points already stored, perhaps edited through the API, are kept as they are)."""
    url = settings.storage.url
    await migrate_escalations(url, hold=clock.hold)
    store = await stack.enter_async_context(SqlEscalationStore.open(url, hold=clock.hold))
    configured = settings.escalation_point_models()
    added = await store.seed(configured)
    if added:
        log.info("escalation points added from the config: %s", ", ".join(added))
    stored = {point.id: point for point in await store.list()}
    differ = [p.id for p in configured if p.id not in added and stored.get(p.id) != p]
    if differ:
        # Edited through the API (or since deleted), or the file changed: the store wins, and
        # an operator who edited the file should know why it did not take.
        log.warning(
            "escalation points that differ from escalation_points.yaml keep their stored "
            "version (edit them through the API): %s",
            ", ".join(differ),
        )
    return store


async def _mail_outbox(
    stack: AsyncExitStack, settings: Settings, clock: Clock, metrics: EngineMetrics
) -> Outbox | None:
    """The escalation mail outbox with its sender started (stopped by ``stack``), or None
    without a mail section.  Mails a previous run left waiting or half sent go out again."""
    mail = settings.mail
    if mail is None:
        return None
    url = settings.storage.url
    await migrate_mail(url, hold=clock.hold)
    store = await stack.enter_async_context(MailOutboxStore.open(url, hold=clock.hold))
    transports: dict[Via, Transport] = {}
    smtp, crm = mail.smtp_config(), mail.crm_config()
    if smtp is not None:
        transports[Via.EMAIL] = SmtpTransport(smtp)
    if crm is not None:
        transports[Via.CRM] = CrmTransport(crm)
    mail_metrics = MailMetrics(metrics.registry)  # one /metrics for all
    sender = MailSender(
        store,
        transports,
        clock,
        rules=mail.retry_rules(),
        metrics=mail_metrics,
        on_delivered=lambda sent: (
            None
            if sent.point_id == REPORT_MAIL  # a scheduled report, not an escalation
            else metrics.escalation(sent.line_code, sent.point_id, "email", "delivered")
        ),
    )
    await sender.start()
    stack.push_async_callback(sender.stop)
    return Outbox(store, sender.channels, notify=sender.wake, metrics=mail_metrics)


async def _report_scheduler(
    stack: AsyncExitStack, settings: Settings, clock: Clock, outbox: Outbox | None
) -> None:
    """The scheduled reports of acd.yaml (none without a reports section), on the engine's
    clock; their mails go through the escalation mail outbox."""
    schedules = schedules_of(settings)
    if not schedules:
        return
    runs = await stack.enter_async_context(
        ReportRunStore.open(settings.storage.url, hold=clock.hold)
    )

    async def make(period: Period, now: datetime) -> Report:
        # The engine migrated the database at start (before this scheduler ran).
        return await report_for(settings, period, made_at=now, hold=clock.hold, migrated=True)

    async def queue_mail(key: str, address: str, subject: str, body: str) -> None:
        assert outbox is not None  # the settings refuse mail_to without a mail section
        await outbox.store.enqueue(
            key,
            point_id=REPORT_MAIL,
            via=Via.EMAIL,
            address=address,
            subject=subject,
            body=body,
            contact_id="",
            agent_id="",
            now=clock.now(),
        )
        outbox.notify()

    scheduler = ReportScheduler(
        schedules, runs, make, clock, queue_mail=queue_mail if outbox is not None else None
    )
    await scheduler.start()
    stack.push_async_callback(scheduler.stop)


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


async def _stop_when(lost: asyncio.Event, stream: EventStream) -> None:
    await lost.wait()
    await stream.stop()


def _callback_rules(settings: Settings) -> dict[str, CallbackRules]:
    return {
        line.id: line.callbacks.rules(settings.line_calendar(line))
        for line in settings.lines
        if line.callbacks.enabled
    }


async def _storage_reachable(url: str, hold: Hold) -> None:
    """Migrate the lease table, the first database work of a start: a database that refuses the
    connection (wrong user or password, no server, no such database) is said in one line."""
    try:
        await migrate_lease(url, hold=hold)
    except Exception as exc:
        # Drivers raise their own types at connect (asyncpg's are not SQLAlchemy's), so every
        # failure here is the storage's; the traceback stays available at DEBUG.
        log.debug("storage check failed", exc_info=True)
        cause = getattr(exc, "orig", None) or exc
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise StartupRefused(f"storage {redact_url(url)}: {reason}") from None


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


def _nodes_source(engine: RunningEngine) -> NodesSource:
    redis = engine.settings.redis
    if engine.nodes is None or redis is None:
        return LocalNode(lambda: engine.runtime.view, engine.clock, "local")
    return SharedNodes(engine.nodes, redis.lease_ttl_s, lambda: calls_of(engine.runtime.view))


async def _serve_api(
    stack: AsyncExitStack, engine: RunningEngine, auth: AuthStore, listener: socket.socket
) -> str:
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
