"""``acd demo``: the engine against the built-in ARI emulator, with simulated callers and agents.

Everything real but the PBX: the engine talks to the emulator over loopback HTTP and WebSocket,
agents log in through the HTTP API, contacts are written to SQLite.  By default the event loop
runs on virtual time, so an hour of traffic takes seconds; ``--realtime`` uses the wall clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from acd.app import running_engine
from acd.demo_figures import (
    DemoStats,
    callback_figures,
    mail_figures,
    quality_figures,
    sla_figures,
)
from acd.demo_people import DRAIN_S, SimulatedAgents, demo_token, place_call
from acd.mail_sink import MailSink, running_mail_sink
from acd.running import RunningEngine
from acd.settings import Settings, load_settings
from acd.settings.recording_options import RecordingSettings
from acd.settings.survey_options import SurveySettings
from acd.simulation import CallerGenerator, demo_agent_behaviour, pbx_config_from_settings
from emulator import Emulator, Mode, RandomBehaviour, run_emulator
from emulator.scripts import Behaviour
from escalations import EscalationPoint
from foundation.clock import Clock, VirtualTimeLoop
from foundation.contact import ContactRecord

log = logging.getLogger(__name__)


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
        self._agents = SimulatedAgents(self._rng)
        self.stats = DemoStats(
            on_missed=self._agent_comes_back_later, on_answered=self._may_escalate
        )
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
                demo_token(storage_url, opts.start) as token,
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
                    base_url=engine.http_url or "", headers={"Authorization": f"Bearer {token}"}
                ) as session:
                    self._session = session
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
        summary |= await callback_figures(engine)
        summary |= await mail_figures(engine, sink)
        await engine.recorder.flush()
        summary["contacts_recorded"] = len(await engine.store.list(limit=1_000_000))
        summary |= await quality_figures(engine, self._opts.start, emu)
        return summary

    async def _log_in_everyone(self, settings: Settings) -> None:
        for agent in settings.agents:
            await self._agents.call(self._client, "POST", f"/api/agents/{agent.id}/login")

    def _may_escalate(self, record: ContactRecord) -> None:
        opts, escalations = self._opts, self.stats.escalations
        self._agents.may_escalate(
            self._client, record, self._points, opts.escalate_share, escalations
        )

    def _agent_comes_back_later(self, agent_id: str) -> None:
        self._agents.back_later(self._client, agent_id)

    def _client(self) -> aiohttp.ClientSession:
        assert self._session is not None  # the agents act once the API is up (run)
        return self._session

    async def _traffic(self, settings: Settings, emu: Emulator, engine: RunningEngine) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + self._opts.minutes * 60.0
        callers = CallerGenerator(settings, self._opts.calls_per_hour, self._rng)
        report_every = 10.0 if self._opts.realtime else 300.0
        next_report = start + report_every
        next_call = start + callers.next_gap_s()
        while next_call < end:
            while next_report <= next_call:
                await asyncio.sleep(max(0.0, next_report - loop.time()))
                self._report(next_report - start)
                next_report += report_every
            await asyncio.sleep(max(0.0, next_call - loop.time()))
            place_call(emu, *callers.next_call())
            next_call += callers.next_gap_s()
        await asyncio.sleep(max(0.0, end - loop.time()))
        self._report(end - start)
        # Let the calls in progress finish, as a contact centre does at closing time.
        drain_until = loop.time() + DRAIN_S
        while engine.runtime.view.contacts and loop.time() < drain_until:  # noqa: ASYNC110 (polls a plain dict)
            await asyncio.sleep(1.0)
        self._agents.cancel()

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
