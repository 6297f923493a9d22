"""The composition root: builds the engine's parts from the settings, starts them in order and
tears them down in reverse.  ``acd run``, ``acd demo`` and the system tests all start the engine
through :func:`running_engine`, so there is exactly one way the parts are wired.

    HTTP port bound, database reached (StartupRefused in one line: before anything touches
        the PBX) -> lease (refuse if another engine holds this ARI app) -> storage (migrate,
        recorder, agent-state writer, callbacks, escalation points seeded from the config)
        -> metrics
        -> ARI client -> core + runtime (agents restored; as one node of several, sharing
        the agent pool in Redis: acd.node_wiring) -> callback dialer
        -> e-mail escalation outbox and its sender, scheduled reports (when acd.yaml has a
        mail or reports section: acd.mail_wiring)
        -> events WebSocket (on_event -> runtime; on_connected -> event filter, runtime)
        -> auth (users, sessions, tokens, audit: migrated with the storage)
        -> HTTP API on the bound port (HTTPS when configured), every route behind the guard
        of acd.auth (acd.http_wiring)

What a started engine hands out is :class:`acd.running.RunningEngine`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from acd.ari import events as ev
from acd.ari.client import AriClient
from acd.ari.event_filter import EventFilter
from acd.ari.stream import Backoff, EventStream
from acd.ari.ws_rest import RESPONSE_EVENT, WsRestTransport
from acd.auth.setup import open_auth
from acd.engine.agents import day_start
from acd.engine.core import EngineCore, IdFactory, random_ids
from acd.engine.dialer import CallbackDialer
from acd.engine.model import EngineConfig
from acd.engine.runtime import ENGINE_EVENTS, EngineRuntime
from acd.http_server import bind_listener
from acd.http_wiring import serve_api
from acd.lease import LeaseKeeper, LeaseStore, lease_key
from acd.lease import migrate as migrate_lease
from acd.mail_wiring import mail_outbox, report_scheduler
from acd.node_wiring import NodeWiring
from acd.quality.metrics import SurveyMetrics
from acd.quality.migrate import migrate as migrate_quality
from acd.quality.recordings import RecordingRecorder, RecordingStore
from acd.quality.retention import RecordingRetention
from acd.quality.surveys import SurveyRecorder, SurveyStore
from acd.records.migrate import migrate
from acd.records.together import RecordsStore, RecordsWriter
from acd.running import RunningEngine
from acd.settings import Settings
from acd.today import TodayFigures
from callbacks import CallbackRules, CallbackStore
from callbacks import migrate as migrate_callbacks
from escalations import SqlEscalationStore
from escalations import migrate as migrate_escalations
from foundation.calendars import is_open
from foundation.clock import Clock, Hold
from foundation.contact import ContactEventSink
from foundation.errors import StartupRefused, one_line
from foundation.redact import redact_url
from foundation.sql import create_engine
from sla.callback_metrics import CallbackEvents, CallbackMetrics
from sla.metrics import EngineMetrics

log = logging.getLogger(__name__)


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
        # Several nodes (acd.state, redis: in acd.yaml) or one (nothing shared).
        shared = NodeWiring(stack, settings.redis)
        config = EngineConfig.from_settings(settings)
        core = EngineCore(config, ids=ids, reservations=shared.reservations)
        runtime = EngineRuntime(
            core,
            ari,
            clock,
            [
                shared.own_agent_events(recorder),
                metrics,
                CallbackEvents(callback_metrics),
                today,
                *extra_sinks,
            ],
            ari_settings.app,
            callbacks,
            records=store,  # the calls a restart takes up (acd.engine.recovery)
        )
        surveys, recordings = await _quality(stack, settings, clock, runtime, metrics, ari)
        # Before the first event and before the gauges are announced: agents stay logged in
        # over a restart, and the longest idle is still offered first.
        await shared.restore_agents(runtime, clock, stored_agents)
        runtime.start()
        stack.push_async_callback(runtime.close)
        await shared.join(runtime, clock, metrics, engine_key, records.agents.load)

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

        outbox = await mail_outbox(stack, settings, clock, metrics)
        await report_scheduler(stack, settings, clock, outbox)

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
            mail_outbox=outbox,
            wrap_ups=recorder,
            today=today,
            nodes=shared.nodes,
            pool=shared.pool,
            surveys=surveys,
            recordings=recordings,
        )
        if listener is not None:
            engine.auth = await open_auth(
                stack, settings.storage.url, settings.auth, clock, hold=hold
            )
            engine.http_url = await serve_api(stack, engine, engine.auth, listener)
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
        raise StartupRefused(f"storage {redact_url(url)}: {one_line(cause)}") from None
