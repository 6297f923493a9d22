"""The processes of bench/realpbx_e2e.py: a real Asterisk 22.10.1 with the bench's own
configuration (50 agent endpoints, the engine's lines and an app_queue queue over the same
agents), the engine (`acd run`, with counters: bench/realpbx_engine.py), sipp phones, and an
ARI observer.  Ports, the engine subprocess and waiting come from tests/realpbx/harness.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bench.engine_e2e import _OFFICE_SLOTS, _office_zone
from bench.realpbx_engine import COUNTS_ENV
from bench.realpbx_figures import BridgeWatch, Counts, cpu_seconds
from tests.realpbx.harness import (
    REPO,
    Asterisk,
    Engine,
    free_tcp_port,
    free_udp_block,
    http_json,
    run_asterisk_start,
    udp_free,
    wait_for,
)

HERE = Path(__file__).resolve().parent
# bench/realpbx_etc/extensions.conf: per ARI application (one engine with the event filter on,
# one with it off, both connected all along), the number of its office-hours and 24/7 line.
ENGINE_APPS = {True: "acd", False: "acdnofilter"}
ENGINE_NUMBERS = {
    True: {"office": "1800", "always": "1801"},
    False: {"office": "1802", "always": "1803"},
}
APP_QUEUE_NUMBER = "1900"
OBSERVER_APP = "benchobs"
RING_MS = 200  # each agent's phone rings this long, then answers
HOLD_MS = 2000  # each caller hangs up this long after its answer
RING_TIMEOUT_S = 5  # the engine's ring_timeout_s and app_queue's timeout
RTP_PORTS = 4000
CALL_TIMEOUT_S = 20


# ---------------------------------------------------------------------------- Asterisk


def _pjsip_conf(agents: int, agent_port: int) -> str:
    """Endpoint ``caller`` (the sipp UAC) and ``agent1``..``agentN``, every agent's contact on
    the one sipp UAS that answers for all of them."""
    parts = [
        "[global]\ntype = global\nendpoint_identifier_order = username,ip\n",
        "[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:@SIP_PORT@\n",
        "[endpoint-tpl](!)\ntype = endpoint\ntransport = transport-udp\ndisallow = all\n"
        "allow = ulaw,alaw\ndirect_media = no\nrtp_symmetric = yes\ndtmf_mode = rfc4733\n",
        "[caller](endpoint-tpl)\ncontext = from-caller\n",
    ]
    for n in range(1, agents + 1):
        parts.append(
            f"[agent{n}](endpoint-tpl)\ncontext = from-agent\naors = agent{n}\n"
            f"[agent{n}]\ntype = aor\ncontact = sip:agent{n}@127.0.0.1:{agent_port}\n"
        )
    return "\n".join(parts)


def _queues_conf(agents: int) -> str:
    """app_queue as close to the engine as it goes: the longest idle agent first, one call
    per agent (``ringinuse = no``), no wrap-up, no announcements, the same ring timeout.
    ``retry`` (the pause before all agents are tried again) cannot go below 1 s."""
    members = "".join(f"member => PJSIP/agent{n}\n" for n in range(1, agents + 1))
    return (
        "[general]\nautofill = yes\nshared_lastcall = no\n\n"
        "[bench]\nstrategy = leastrecent\nringinuse = no\nwrapuptime = 0\n"
        f"timeout = {RING_TIMEOUT_S}\nretry = 1\nmusicclass = default\njoinempty = yes\n"
        "leavewhenempty = no\nannounce-frequency = 0\nperiodic-announce-frequency = 0\n"
        "announce-holdtime = no\nannounce-position = no\nreportholdtime = no\n" + members
    )


def write_etc(shared: Path, etc: Path, agents: int, agent_port: int) -> None:
    """The shared etc/, with the bench's endpoints, dialplan and queue, app_queue loaded, and
    no verbose log (writing one line per dialplan step would be Asterisk CPU of its own)."""
    shutil.copytree(shared / "etc", etc, dirs_exist_ok=True)
    (etc / "pjsip.conf").write_text(_pjsip_conf(agents, agent_port))
    shutil.copy(HERE / "realpbx_etc" / "extensions.conf", etc / "extensions.conf")
    (etc / "queues.conf").write_text(_queues_conf(agents))
    modules = (etc / "modules.conf").read_text()
    (etc / "modules.conf").write_text(modules + "\nload => app_queue.so\n")
    # Two engines, each with a pool of up to 100 connections, and the observer: Asterisk's
    # default of 100 HTTP sessions would refuse some of them (a known engine defect on its
    # own, see docs/performance.md); the bench measures the rest.
    http = (etc / "http.conf").read_text()
    (etc / "http.conf").write_text(http.replace("[general]\n", "[general]\nsessionlimit = 1000\n"))
    (etc / "logger.conf").write_text(
        "[general]\ndateformat = %F %T.%3q\n\n[logfiles]\n"
        "console => notice,warning,error\nmessages.log => notice,warning,error\n"
    )


def start_asterisk(shared: Path, root: Path, agents: int) -> Asterisk:
    agent_port = free_udp_block(1)
    pbx = Asterisk(shared, root, free_tcp_port(), free_udp_block(1), {"agents": agent_port})
    write_etc(shared, root / "etc", agents, agent_port)
    rtp = free_udp_block(RTP_PORTS)
    command = [str(shared / "run-asterisk"), "start", str(root / "pbx")]
    command += ["--http-port", str(pbx.http_port), "--sip-port", str(pbx.sip_port)]
    command += ["--rtp", f"{rtp}-{rtp + RTP_PORTS - 1}", "--etc", str(root / "etc")]
    run_asterisk_start(pbx, command)
    return pbx


def asterisk_pid(pbx: Asterisk) -> int:
    return int((pbx.root / "pbx" / "asterisk.pid").read_text())


def process_cpu_s(pid: int) -> float:
    return cpu_seconds(Path(f"/proc/{pid}/stat").read_text(), os.sysconf("SC_CLK_TCK"))


# ---------------------------------------------------------------------------- engine


def write_engine_config(
    directory: Path,
    agents: int,
    event_filter: bool,
    rest_over: str = "websocket",
    *,
    first: bool,
    cpus: tuple[int, ...] = (),
) -> None:
    """The bench engine's configuration; ``first`` picks its ARI app and numbers (the first
    engine, or the second it is compared with); ``cpus``, its ``cpu_affinity``."""
    directory.mkdir(parents=True, exist_ok=True)
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    files: dict[str, Any] = {
        "acd.yaml": {
            "ari": {
                "app": ENGINE_APPS[first],
                "event_filter": event_filter,
                "rest_over": rest_over,
                "reconnect_max_s": 2,
            },
            "engine": {
                "ring_timeout_s": RING_TIMEOUT_S,
                "wrap_up_s": 0,
                # Measure the routing, not the presence rules: an agent whose offer failed
                # stays available (the defects that make offers fail are listed, not hidden:
                # see "offers" in the JSON).
                "missed_in_a_row_before_not_available": 1_000_000,
            },
            "log_level": "WARNING",
            "cpu_affinity": list(cpus),
        },
        "line_codes.yaml": {"line_codes": [{"name": "bench"}]},
        "calendars.yaml": {
            "calendars": [
                # Open at the time of the run, with a lunch break: bench/engine_e2e.py's zone.
                {
                    "name": "office",
                    "timezone": _office_zone(datetime.now(UTC)),
                    "weekly": {day: _OFFICE_SLOTS for day in days},
                },
                {
                    "name": "always",
                    "timezone": "Europe/Brussels",
                    "weekly": {day: ["00:00-24:00"] for day in days},
                    "holidays": None,
                },
            ]
        },
        "lines.yaml": {
            "lines": [
                {
                    "id": number,
                    "name": f"{calendar} line",
                    "numbers": [number],
                    "calendar": calendar,
                    "line_codes": ["bench"],
                    "moh_class": "default",
                    "rejoin_window_s": 0,  # every caller is "caller": no one inherits a place
                }
                for calendar, number in ENGINE_NUMBERS[first].items()
            ]
        },
        "escalation_points.yaml": {  # every line code needs one
            "escalation_points": [
                {
                    "id": "bench-point",
                    "editorial_title": "Bench",
                    "email": "bench@example.org",
                    "line_codes": ["bench"],
                }
            ]
        },
        "agents.yaml": {
            "agents": [
                {
                    "id": f"agent{n}",
                    "name": f"Agent {n}",
                    "endpoint": f"PJSIP/agent{n}",
                    "line_codes": ["bench"],
                }
                for n in range(1, agents + 1)
            ]
        },
    }
    for name, content in files.items():
        (directory / name).write_text(yaml.safe_dump(content, sort_keys=False))


@dataclass
class BenchEngine:
    engine: Engine
    counts_file: Path

    @classmethod
    def start(
        cls,
        root: Path,
        pbx: Asterisk,
        agents: int,
        event_filter: bool,
        rest_over: str = "websocket",
        *,
        first: bool,
        cpus: tuple[int, ...] = (),
    ) -> BenchEngine:
        """`acd run` through bench/realpbx_engine.py, on a fresh SQLite store."""
        name = f"{'first' if first else 'second'}-filter-{'on' if event_filter else 'off'}"
        name += f"-rest-{rest_over}"
        config = root / f"config-{name}"
        write_engine_config(config, agents, event_filter, rest_over, first=first, cpus=cpus)
        port = free_tcp_port()
        database, log = root / f"{name}.sqlite3", root / f"{name}.log"
        counts = root / f"{name}.counts.json"
        command = [sys.executable, "-m", "bench.realpbx_engine", "run", "--config", str(config)]
        command += ["--ari-url", pbx.ari_url, "--storage-url", f"sqlite+aiosqlite:///{database}"]
        command += ["--listen", f"127.0.0.1:{port}"]
        env = {COUNTS_ENV: str(counts), "PYTHONPATH": str(REPO)}
        engine = Engine.spawn(command, REPO, port, database, log, env)
        started = cls(engine, counts)
        started.agents_ready(agents)
        return started

    def agents_ready(self, agents: int) -> None:
        """Every agent logged in and available (an agent a failed offer set aside, too)."""
        for n in range(1, agents + 1):
            self.engine.api("POST", f"/api/agents/agent{n}/login")
            self.engine.api("PUT", f"/api/agents/agent{n}/presence", {"presence": "available"})

        def all_available() -> bool:
            listed = self.engine.agents()
            return len(listed) == agents and all(
                a.get("presence") == "available" for a in listed.values()
            )

        wait_for(all_available, 10, f"{agents} agents available")

    def ari_counts(self) -> dict[str, int]:
        before = self._read().get("dumps", 0)
        self.engine.process.send_signal(signal.SIGUSR1)

        def written() -> dict[str, int] | None:
            counts = self._read()
            return counts if counts.get("dumps", 0) > before else None

        return wait_for(written, 5, "the engine's counts")

    def _read(self) -> dict[str, int]:
        with suppress(FileNotFoundError, ValueError):
            return dict(json.loads(self.counts_file.read_text()))
        return {}

    def stop(self) -> None:
        self.engine.stop()


def read_counts(pbx_pid: int, engine: BenchEngine | None) -> Counts:
    ari = engine.ari_counts() if engine else {}
    return Counts(
        engine_cpu_s=process_cpu_s(engine.engine.process.pid) if engine else 0.0,
        asterisk_cpu_s=process_cpu_s(pbx_pid),
        rest_requests=ari.get("requests", 0),
        events=ari.get("events", 0),
        event_bytes=ari.get("event_bytes", 0),
    )


# ---------------------------------------------------------------------------- sipp


@dataclass
class Sipp:
    process: subprocess.Popen[bytes]
    screen: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _sipp(workdir: Path, name: str, args: list[str]) -> Sipp:
    screen = workdir / f"{name}.screen.log"
    command = ["sipp", *args, "-i", "127.0.0.1", "-nostdin", "-mi", "127.0.0.1"]
    command += ["-mp", str(free_udp_block(4))]
    with screen.open("wb") as out:
        process = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    return Sipp(process, screen)


def start_agent_phones(pbx: Asterisk, workdir: Path) -> Sipp:
    """One sipp UAS answering for every agent endpoint: rings RING_MS, answers, waits for the
    BYE.  Asterisk offers at most one call per agent (the engine and ``ringinuse = no``)."""
    port = pbx.phone_ports["agents"]
    args = ["-sf", str(pbx.shared / "sipp" / "uas_answer.xml"), "-p", str(port)]
    phones = _sipp(workdir, "agents", [*args, "-d", str(RING_MS)])
    wait_for(lambda: _listening(port, phones), 5, f"the agents' sipp listens on {port}")
    return phones


def _listening(port: int, phones: Sipp) -> bool:
    if phones.process.poll() is not None:  # say why, rather than wait out the deadline
        raise RuntimeError(f"sipp for the agents exited: {phones.screen.read_text()[-2000:]}")
    return not udp_free(port)


def start_callers(pbx: Asterisk, workdir: Path, number: str, rate: int, calls: int) -> Sipp:
    """``calls`` callers dialling ``number`` at ``rate`` a second, each hanging up HOLD_MS
    after its answer (the shared ``uac_bye.xml``)."""
    args = ["-sf", str(pbx.shared / "sipp" / "uac_bye.xml"), f"127.0.0.1:{pbx.sip_port}"]
    args += ["-s", number, "-p", str(free_udp_block(1)), "-r", str(rate), "-m", str(calls)]
    # A call that gets no answer within CALL_TIMEOUT_S is given up (a stuck engine must not
    # hold the benchmark); the PBX's leftovers are hung up before the next scenario.
    args += ["-d", str(HOLD_MS), "-l", str(calls), "-recv_timeout", str(CALL_TIMEOUT_S * 1000)]
    args += ["-timeout", f"{calls // rate + CALL_TIMEOUT_S + 10}s"]
    return _sipp(workdir, f"callers-{number}-{rate}", args)


# ---------------------------------------------------------------------------- observer


class Observer:
    """An ARI application subscribed to everything, filtered to the two event types
    :class:`BridgeWatch` reads; its own thread and event loop, so the bench's waits never
    hold its WebSocket up.  It costs Asterisk the same in every scenario."""

    TYPES = ("ChannelStateChange", "ChannelEnteredBridge")

    def __init__(self, pbx: Asterisk) -> None:
        self._pbx = pbx
        self._lock = threading.Lock()
        self._watch = BridgeWatch()
        self._connected = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._task: concurrent.futures.Future[None] | None = None
        self._last_event = time.monotonic()

    def start(self) -> None:
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        if not self._connected.wait(10):
            raise RuntimeError("the ARI observer did not connect")
        status, body = http_json(
            "PUT",
            f"{self._pbx.ari_url}/ari/applications/{OBSERVER_APP}/eventFilter",
            {"allowed": [{"type": t} for t in self.TYPES]},
            auth=("asterisk", "asterisk"),
        )
        if status != 200:
            raise RuntimeError(f"observer event filter refused: {status} {body}")

    async def _listen(self) -> None:
        url = f"ws://127.0.0.1:{self._pbx.http_port}/ari/events"
        params = {"app": OBSERVER_APP, "subscribeAll": "true", "api_key": "asterisk:asterisk"}
        async with aiohttp.ClientSession() as session, session.ws_connect(url, params=params) as ws:
            self._connected.set()
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    event = json.loads(message.data)
                    with self._lock:
                        self._watch.feed(event)
                        self._last_event = time.monotonic()

    def quiet(self, for_s: float, timeout_s: float) -> None:
        """Wait until no event has come for ``for_s``: under load Asterisk's queue to this
        application runs seconds behind the calls (its taskprocessor warns at 500)."""

        def silent() -> bool:
            with self._lock:
                return time.monotonic() - self._last_event >= for_s

        wait_for(silent, timeout_s, f"the observer heard nothing for {for_s} s")

    def take(self) -> BridgeWatch:
        """What was seen since the last take; the next scenario starts from nothing."""
        with self._lock:
            watch, self._watch = self._watch, BridgeWatch()
        return watch

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()  # cancels the task in the loop's thread; the session closes
            with suppress(Exception):
                concurrent.futures.wait([self._task], timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def idle(pbx: Asterisk, timeout_s: float) -> int:
    """Wait until no channel is left on the PBX; after ``timeout_s``, hang up what is left
    (what a stuck engine left behind) and return how many channels that was."""
    try:
        wait_for(lambda: not pbx.channels(), timeout_s, "no channel left on the PBX")
    except AssertionError:
        left = len(pbx.channels())
        pbx.hang_up_everything()
        wait_for(lambda: not pbx.channels(), 30, "no channel left after hanging them up")
        return left
    return 0
