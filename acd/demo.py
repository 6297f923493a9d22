"""``acd demo``: the engine against the built-in ARI emulator, with simulated callers and agents.

Everything real but the PBX: the engine talks to the emulator over loopback HTTP and WebSocket,
agents log in through the HTTP API, contacts are written to SQLite.  By default the event loop
runs on virtual time, so an hour of traffic takes seconds; ``--realtime`` uses the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from acd.app import running_engine
from acd.running import RunningEngine
from acd.auth.migrate import migrate as migrate_auth
from acd.auth.model import Scope
from acd.auth.store import AuthStore
from acd.mail_sink import MailSink, running_mail_sink
from acd.records.writer import BatchWriter
from acd.settings import Settings, load_settings
from acd.settings.recording_options import RecordingSettings
from acd.settings.survey_options import SurveySettings
from acd.simulation import CallerGenerator, demo_agent_behaviour, pbx_config_from_settings
from callbacks import CallbackStatus
from emulator import Emulator, EndpointBehaviour, Mode, RandomBehaviour, run_emulator
from emulator.scripts import Behaviour
from escalations import EscalationPoint
from escalations.mail import MailStatus
from foundation.clock import Clock, VirtualTimeLoop
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    ContactRecord,
    Outcome,
    Presence,
)
from foundation.redact import redact_url
from ivr.numbers import normalise
from sla.service_level import FIGURES, SERVICE_LEVEL_THRESHOLD_S
from sla.sources import gauge_total, tally_from_exposition

log = logging.getLogger(__name__)

DRAIN_S = 15 * 60.0  # after the last arrival, how long calls in progress may finish
MAIL_DRAIN_S = 120.0  # then, how long escalation mails still waiting may take to go out


@dataclass
class DemoStats:
    """A contact-event sink that tallies what the metrics do not carry per contact (longest
    wait, outcomes, rings).  The service-level figures come from the engine's metrics
    (:func:`sla_figures`), the same counters and definitions Prometheus works from."""

    other_outcomes: Counter[str] = field(default_factory=Counter)
    answered_waits: list[float] = field(default_factory=list)
    abandoned_waits: list[float] = field(default_factory=list)
    agent_offers: Counter[str] = field(default_factory=Counter)
    agents: dict[str, tuple[Presence, Activity]] = field(default_factory=dict)
    callbacks_offered: int = 0
    callbacks_requested: int = 0
    escalations: Counter[str] = field(default_factory=Counter)  # phone, email, refused
    on_missed: Callable[[str], None] | None = None
    on_answered: Callable[[ContactRecord], None] | None = None

    def contact_event(self, event: ContactEvent) -> None:
        record = event.contact
        if record.kind is ContactKind.CALLBACK:
            return  # callback placements are counted from the callback store
        if event.kind is ContactEventKind.CALLBACK_OFFERED:
            self.callbacks_offered += 1
        elif event.kind is ContactEventKind.CALLBACK_REQUESTED:
            self.callbacks_requested += 1
        elif event.kind is ContactEventKind.ANSWERED:
            self.answered_waits.append(record.wait_seconds or 0.0)
            self.agent_offers["answered"] += 1
            if self.on_answered is not None:
                self.on_answered(record)
        elif event.kind is ContactEventKind.ESCALATED:
            self.escalations["phone"] += 1
        elif event.kind is ContactEventKind.OFFER_ENDED:
            self.agent_offers[str(record.offers[-1].result)] += 1
        elif event.kind is ContactEventKind.ENDED:
            self._ended(event)

    def _ended(self, event: ContactEvent) -> None:
        record = event.contact
        if record.outcome is Outcome.ABANDONED and record.queued_at is None:
            self.other_outcomes["abandoned_before_queue"] += 1
        elif record.outcome is Outcome.ABANDONED:
            self.abandoned_waits.append(record.wait_seconds or 0.0)
            if record.offers and record.offers[-1].result is not None:
                self.agent_offers[str(record.offers[-1].result)] += 1
        elif record.outcome is not Outcome.ANSWERED:
            self.other_outcomes[str(record.outcome)] += 1

    def agent_event(self, event: AgentEvent) -> None:
        self.agents[event.agent_id] = (event.presence, event.activity)
        missed = event.reason == "missed" and event.previous_presence is Presence.AVAILABLE
        if missed and self.on_missed is not None:
            self.on_missed(event.agent_id)

    def agent_line(self) -> str:
        counts = Counter(
            "not available" if p is Presence.NOT_AVAILABLE else str(a)
            for p, a in self.agents.values()
            if p is not Presence.LOGGED_OUT
        )
        return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))

    def summary(self, exposition: str) -> dict[str, Any]:
        """The figures, from the engine's ``/metrics`` text, with this sink's own tallies."""
        waits = self.answered_waits
        return {
            **sla_figures(exposition),
            "max_wait_s": round(max(waits), 1) if waits else 0.0,
            "avg_abandon_wait_s": (
                round(sum(self.abandoned_waits) / len(self.abandoned_waits), 1)
                if self.abandoned_waits
                else 0.0
            ),
            "other_outcomes": dict(self.other_outcomes),
            "callbacks_offered": self.callbacks_offered,
            "callbacks_requested": self.callbacks_requested,
            "agent_offers": dict(self.agent_offers),
            "escalations_phone": self.escalations["phone"],
            "escalations_email": self.escalations["email"],
            "escalations_refused": self.escalations["refused"],
        }


@dataclass(frozen=True)
class DemoOptions:
    minutes: float = 60.0
    calls_per_hour: float = 150.0
    seed: int = 1700
    realtime: bool = False
    quiet: bool = False
    storage_url: str | None = None
    # A fixed, ordinary working morning: the lines are open, and runs are repeatable.
    start: datetime = datetime(2027, 3, 30, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    escalate_share: float = 0.08  # of answered calls, the agent escalates (phone or e-mail)
    http: str | None = None  # host:port of the engine's API and /metrics; None: a free port
    # On the main line (1700): the share of callers sent to the survey when their agent hangs
    # up, and the share of calls recorded.  The shipped config leaves both off (a deployment
    # records the survey's prompts first); the demo shows them working.
    survey_share: float = 0.5
    recording_share: float = 0.3


class Demo:
    def __init__(self, config_dir: Path, options: DemoOptions, out: Callable[[str], None]) -> None:
        self._config_dir = config_dir
        self._opts = options
        self._out = out
        self._rng = random.Random(options.seed)
        self.stats = DemoStats(
            on_missed=self._agent_comes_back_later, on_answered=self._may_escalate
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._api: str = ""
        self._session: aiohttp.ClientSession | None = None
        self._points: tuple[EscalationPoint, ...] = ()
        self._exposition: Callable[[], str] = lambda: ""

    async def run(self, storage_url: str, recordings_dir: Path) -> dict[str, Any]:
        opts = self._opts
        base = load_settings(self._config_dir, overrides={"storage.url": storage_url})
        base = with_survey_and_recording(base, opts)
        self._points = base.escalation_point_models()
        pbx = pbx_config_from_settings(
            base, default=demo_agent_behaviour(), seed=opts.seed, trunk=escalation_phones(base)
        )
        # The emulator writes each stopped recording as a (silent) file, as Asterisk does.
        pbx = replace(pbx, recordings_dir=recordings_dir)
        async with run_emulator(config=pbx) as emu, running_mail_sink() as sink:
            settings = load_settings(
                self._config_dir,
                overrides={
                    "ari.url": emu.url,
                    "storage.url": storage_url,
                    "http.listen": opts.http or "127.0.0.1:0",
                    # A newcomer's local Prometheus scrapes the demo without a token
                    # (config/prometheus/prometheus.yml); the demo listens on loopback only.
                    "auth.metrics": "open",
                    # The emulator stands in for the trunk: one phone per caller's number.
                    "engine.callback_dial": "PJSIP/cb{digits}",
                    # The escalation mails go to a local SMTP sink and CRM webhook.
                    **sink.settings(),
                },
            )
            settings = with_survey_and_recording(settings, opts)
            # The demo's simulated agents use the API as any client does: with a token, made
            # before the engine opens the database and revoked at the end (--storage-url may
            # name a database that outlives the demo).
            async with (
                _demo_token(storage_url, opts.start) as token,
                running_engine(
                    settings, clock=Clock(wall_start=opts.start), extra_sinks=[self.stats]
                ) as engine,
            ):
                if not opts.quiet:
                    self._out(
                        f"API and metrics (Prometheus) at {engine.http_url} while the demo "
                        f"runs, with the header 'Authorization: Bearer {token}' (revoked when "
                        "the demo ends)"
                    )
                async with aiohttp.ClientSession(
                    headers={"Authorization": f"Bearer {token}"}
                ) as session:
                    self._session = session
                    self._api = engine.http_url or ""
                    self._exposition = lambda: engine.metrics.render().decode()
                    summary = await self._drive(settings, emu, engine, sink)
        return summary

    async def _drive(
        self, settings: Settings, emu: Emulator, engine: RunningEngine, sink: MailSink
    ) -> dict[str, Any]:
        await engine.stream.wait_connected(timeout_s=30)
        await self._log_in_everyone(settings)
        await self._traffic(settings, emu, engine)
        summary = self.stats.summary(engine.metrics.render().decode())
        summary |= await _callback_figures(engine)
        summary |= await _mail_figures(engine, sink)
        await engine.recorder.flush()
        summary["contacts_recorded"] = len(await engine.store.list(limit=1_000_000))
        summary |= await _quality_figures(engine, self._opts.start, emu)
        return summary

    async def _log_in_everyone(self, settings: Settings) -> None:
        for agent in settings.agents:
            await self._api_call("POST", f"/api/agents/{agent.id}/login")

    async def _api_call(
        self, method: str, path: str, body: Any = None, expected: frozenset[int] = frozenset()
    ) -> int:
        assert self._session is not None
        async with self._session.request(method, self._api + path, json=body) as resp:
            if resp.status >= 400 and resp.status not in expected:
                log.warning("%s %s: %s %s", method, path, resp.status, await resp.text())
            return resp.status

    def _may_escalate(self, record: ContactRecord) -> None:
        """A share of the agents' calls is for an escalation point: a while into the call the
        agent transfers it by phone or mails the question, if the point takes it now."""
        if self._rng.random() >= self._opts.escalate_share or record.agent_id is None:
            return
        agent_id, line_code = record.agent_id, record.line_code
        by_phone = self._rng.random() < 0.6
        after_s = self._rng.uniform(20.0, 80.0)
        request_key = f"demo-{record.id}"

        async def later() -> None:
            await asyncio.sleep(after_s)
            points = [p for p in self._points if line_code in p.line_codes]
            if not points:
                return
            point = self._rng.choice(points)
            if by_phone:
                body: dict[str, str] = {"point_id": point.id}
                path, kind = f"/api/agents/{agent_id}/transfer", "phone"
            else:
                note = "Vraag van de burger, zie notitie"
                body = {"point_id": point.id, "note": note, "request_key": request_key}
                path, kind = f"/api/agents/{agent_id}/escalate-email", "email"
            status = await self._api_call("POST", path, body, expected=frozenset({409, 422}))
            if status in (409, 422):
                self.stats.escalations["refused"] += 1
            elif kind == "email" and status < 300:
                self.stats.escalations["email"] += 1

        self._spawn(later())

    def _agent_comes_back_later(self, agent_id: str) -> None:
        """A simulated agent who missed a call sets themself available again after a while."""

        async def later() -> None:
            await asyncio.sleep(self._rng.uniform(30.0, 120.0))
            await self._api_call(
                "PUT", f"/api/agents/{agent_id}/presence", {"presence": "available"}
            )

        self._spawn(later())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _traffic(self, settings: Settings, emu: Emulator, engine: RunningEngine) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + self._opts.minutes * 60.0
        callers = CallerGenerator(settings, self._opts.calls_per_hour, self._rng)
        citizen_phone = EndpointBehaviour.answer(4.0, hangup_after_s=120.0)
        report_every = 10.0 if self._opts.realtime else 300.0
        next_report = start + report_every
        next_call = start + callers.next_gap_s()
        while next_call < end:
            while next_report <= next_call:
                await asyncio.sleep(max(0.0, next_report - loop.time()))
                self._report(next_report - start)
                next_report += report_every
            await asyncio.sleep(max(0.0, next_call - loop.time()))
            number, caller, script = callers.next_call()
            citizen = normalise(caller)
            if citizen is not None:  # the phone a callback will ring: answers, talks a while
                emu.pbx.set_endpoint(f"PJSIP/cb{citizen.lstrip('+')}", citizen_phone)
            emu.pbx.place_call(number, caller_number=caller, script=script)
            next_call += callers.next_gap_s()
        await asyncio.sleep(max(0.0, end - loop.time()))
        self._report(end - start)
        # Let the calls in progress finish, as a contact centre does at closing time.
        drain_until = loop.time() + DRAIN_S
        while engine.runtime.view.contacts and loop.time() < drain_until:  # noqa: ASYNC110 (polls a plain dict)
            await asyncio.sleep(1.0)
        for task in list(self._tasks):
            task.cancel()

    def _report(self, elapsed_s: float) -> None:
        if self._opts.quiet:
            return
        s = sla_figures(self._exposition())
        minutes, seconds = divmod(int(elapsed_s), 60)
        asa = s["average_speed_of_answer_s"]
        self._out(
            f"[{minutes:3d}:{seconds:02d}] waiting {s['still_waiting']:3d} | offered "
            f"{s['offered']:4d} answered {s['answered']:4d} abandoned {s['abandoned']:3d} | "
            f"ASA {asa if asa is not None else 0:5.1f} s | agents: {self.stats.agent_line()}"
        )


def with_survey_and_recording(settings: Settings, options: DemoOptions) -> Settings:
    """The demo's own setting over the config: the main line's survey (the seed's four
    questions) for ``survey_share`` of callers, and ``recording_share`` of its calls recorded."""
    main, *others = settings.lines
    main = main.model_copy(
        update={
            "survey": SurveySettings(enabled=True, share=options.survey_share),
            "recording": RecordingSettings(share=options.recording_share),
        }
    )
    return settings.model_copy(update={"lines": (main, *others)})


def sla_figures(exposition: str) -> dict[str, Any]:
    """The counts and service-level figures of a ``/metrics`` text, as sla.service_level
    defines them (and config/prometheus/rules computes them): one definition for both."""
    tally = tally_from_exposition(exposition)
    figures: dict[str, Any] = {
        "offered": int(tally.offered),
        "answered": int(tally.answered),
        "abandoned": int(tally.abandoned),
        "short_abandoned": int(tally.short_abandoned),
        "still_waiting": int(gauge_total(exposition, "acd_contacts_waiting")),
        "service_level_threshold_s": SERVICE_LEVEL_THRESHOLD_S,
    }
    for figure in FIGURES:
        value = figure(tally)
        key = f"{figure.name}_s" if figure.unit == "seconds" else figure.name
        figures[key] = None if value is None else round(value, 4)
    return figures


@asynccontextmanager
async def _demo_token(storage_url: str, now: datetime) -> AsyncIterator[str]:
    await migrate_auth(storage_url)
    async with AuthStore.open(storage_url) as store:
        made, token = await store.add_token("demo", frozenset({Scope.ADMIN}), now)
        try:
            yield token
        finally:
            await store.revoke_token(made.id, now)


def escalation_phones(settings: Settings) -> dict[str, Behaviour]:
    """The escalation points' phones behind the emulated trunk: most answer within seconds and
    take the caller over for a few minutes; some are busy or let it ring out."""
    weights = {Mode.ANSWER: 0.8, Mode.BUSY: 0.1, Mode.RING: 0.1}
    phone: Behaviour = RandomBehaviour(weights, ring_s=(2.0, 10.0), talk_s=(60.0, 240.0))
    return {
        point.phone_e164: phone
        for point in settings.escalation_point_models()
        if point.phone_e164 is not None
    }


async def _quality_figures(engine: RunningEngine, start: datetime, emu: Emulator) -> dict[str, Any]:
    """The survey answers and recordings, from their SQL stores (the source of truth the
    report reads too): answers stored, callers who answered, the mean score per question
    (over every answer to it), the recordings' metadata rows and the files behind them."""
    for sink in (*engine.runtime.survey_sinks, *engine.runtime.recording_sinks):
        if isinstance(sink, BatchWriter):
            await sink.flush()
    if engine.surveys is None or engine.recordings is None:
        return {}
    since, until = start - timedelta(days=1), start + timedelta(days=30)
    answers = await engine.surveys.between(since, until)
    scores: dict[str, list[int]] = {}
    for answer in answers:
        scores.setdefault(answer.question, []).append(answer.score)
    directory = emu.pbx.config.recordings_dir
    return {
        "survey_responses": len(answers),
        "survey_respondents": await engine.surveys.respondents(since, until),
        "survey_mean": {q: round(sum(s) / len(s), 2) for q, s in scores.items()},
        "recordings": len(await engine.recordings.between(since, until)),
        "recording_files": len(list(directory.iterdir()))
        if directory and directory.exists()
        else 0,
    }


async def _callback_figures(engine: RunningEngine) -> dict[str, int]:
    """How the stored callbacks fared: from the durable store, the source of truth."""
    stored = await engine.callbacks.list(limit=1_000_000)
    completed = [c for c in stored if c.status is CallbackStatus.COMPLETED]
    return {
        "callbacks_completed": len(completed),
        "callbacks_within_deadline": sum(c.completed_within_deadline for c in completed),
        "callbacks_pending": sum(c.status.is_open for c in stored),
    }


async def _mail_figures(engine: RunningEngine, sink: MailSink) -> dict[str, int]:
    """The escalation mails delivered, from the outbox (the source of truth), once the sender
    has had its chance at those still waiting; the sinks must have received as many."""
    outbox = engine.mail_outbox
    if outbox is None:
        return {"escalation_mails_delivered": 0, "escalation_mails_waiting": 0}
    store = outbox.store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAIL_DRAIN_S
    while await store.count_waiting() and loop.time() < deadline:  # noqa: ASYNC110 (polls SQL)
        await asyncio.sleep(1.0)
    delivered = await store.list(statuses=[MailStatus.DELIVERED], limit=1_000_000)
    received = len(sink.received) + len(sink.posted)
    if len(delivered) != received:
        log.warning(
            "the outbox says %d mails delivered, the SMTP and CRM sinks received %d",
            len(delivered),
            received,
        )
    return {
        "escalation_mails_delivered": len(delivered),
        "escalation_mails_waiting": await store.count_waiting(),
    }


def run_demo(
    config_dir: Path, options: DemoOptions, out: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run the demo to the end and return its summary (also used by the tests)."""
    demo = Demo(config_dir, options, out)
    real_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="acd-demo-") as tmp:
        url = options.storage_url or f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}"
        factory = asyncio.new_event_loop if options.realtime else VirtualTimeLoop
        with asyncio.Runner(loop_factory=factory) as runner:
            summary = runner.run(demo.run(url, Path(tmp) / "recording"))
    summary["simulated_minutes"] = options.minutes
    summary["calls_per_hour"] = options.calls_per_hour
    summary["real_seconds"] = round(time.perf_counter() - real_start, 2)
    return summary


def run_demo_command(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if args.nodes != 1 or args.redis:
        return _nodes_command(args)
    options = DemoOptions(
        minutes=args.minutes,
        calls_per_hour=args.calls_per_hour or 150.0,
        seed=args.seed,
        realtime=args.realtime,
        quiet=args.json,
        storage_url=args.storage_url,
        http=args.http,
        **({"start": args.start} if args.start else {}),
    )
    if not args.json:
        clock = "wall clock" if args.realtime else "virtual clock"
        print(
            f"acd demo: {args.minutes:g} minutes of traffic at {options.calls_per_hour:g} "
            f"calls/hour on the {clock}; engine + ARI emulator over loopback, SQLite"
        )
    summary = run_demo(args.config, options)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print("\nSummary:")
        for key, value in summary.items():
            print(f"  {key:38} {value}")
    return 0


def _nodes_command(args: argparse.Namespace) -> int:
    """``--nodes N --redis URL``: several engine nodes on one agent pool (acd.demo_nodes)."""
    from acd.demo_nodes import NodesOptions, run_nodes_demo

    if args.nodes < 2 or not args.redis:
        print("acd demo: --nodes takes 2 or more, with --redis URL", file=sys.stderr)
        return 2
    options = NodesOptions(
        redis_url=args.redis,
        nodes=args.nodes,
        minutes=args.minutes,
        seed=args.seed,
        realtime=args.realtime,
        **({"calls_per_hour": args.calls_per_hour} if args.calls_per_hour else {}),
        **({"start": args.start} if args.start else {}),
    )
    if not args.json:
        print(
            f"acd demo: {args.nodes} nodes on {redact_url(args.redis)}, {args.minutes:g} minutes "
            f"at {options.calls_per_hour:g} calls/hour"
        )
    summary = run_nodes_demo(args.config, options)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        for key, value in summary.items():
            print(f"  {key:28} {value}")
    return 0 if summary["double_offers"] == 0 and summary["lost"] == 0 else 1
