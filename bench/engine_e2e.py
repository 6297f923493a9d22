"""End-to-end engine figures (docs/performance.md, "Engine end to end").

1. Calls the whole engine routes through the ARI emulator over loopback, arrival (StasisStart)
   to answer and bridge, and per call: the engine's CPU, its REST requests, the ARI events and
   bytes it receives, and the agent-answered -> bridged latency (the answer to addChannel).
   For an office-hours line and a 24/7 one (``calendar: always``), each with the ARI event
   filter on, off, and off with the stdlib json (the engine before the filter and orjson).
   The emulator (as chatty as Asterisk) and the callers run in processes of their own, so the
   engine's CPU time is its own; they share the machine's cores with it, though.
2. ARI events per second the engine ingests and dispatches on one core: raw WebSocket JSON ->
   typed event -> core input -> commands, with an ARI port that answers at once.

    .venv/bin/python bench/engine_e2e.py [--calls 3000] [--agents 300] [--rate 250] [--quick]
                                         [--current]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import os
import platform
import pstats
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite
import orjson
import sqlalchemy
import yaml

from acd.app import running_engine
from acd.ari import stream as stream_module
from acd.ari.event_filter import EventFilter
from acd.ari.events import Bridge, Channel, parse_event
from acd.ari.rest import HttpTransportBase
from acd.ari.stream import EventStream
from acd.ari.ws_rest import WsRestTransport
from acd.engine import inputs as inp
from acd.engine.ari_commands import AriPort
from acd.engine.core import EngineCore
from acd.engine.model import AgentConfig, EngineConfig, LineConfig
from acd.engine.runtime import EngineRuntime
from acd.event_loop import loop_factory
from acd.records.together import Record, RecordsStore
from acd.settings import load_settings
from foundation.clock import Clock
from foundation.contact import AgentEvent, ContactEvent, ContactEventKind
from foundation.sql import sqlite_file_connection

LINE_CODE = "1700 Andere Vragen"
# --profile: cProfile the measured window (its CPU figure is then not comparable); with
# --profile-cpu its times are the event loop thread's CPU time, not wall time (a loopback
# ``send`` that lets the peer process run shows its wall time otherwise).
PROFILE = False
PROFILE_CPU = False
PROFILE_DUMP = ""  # --profile-dump FILE: the pstats file, to look at callers
IDLE_S = 2.0
GC_AS_RUN = True  # --gc default: Python's own GC settings instead of acd run's


# Every day open: an "office hours" calendar with a lunch break and public holidays, in a
# fixed-offset zone chosen so that it is mid-morning there whenever the benchmark runs (a real
# office-hours line measured at night only plays the closed message: the defect that made
# --quick report "answered": 0).  "always" is the 24/7 calendar of config/calendars.yaml.
_OFFICE_SLOTS = ["08:00-12:30", "13:00-19:00"]


def _office_zone(now: datetime) -> str:
    """An ``Etc/GMT`` zone where it is 10 o'clock at ``now`` (UTC) give or take an hour."""
    offset = (10 - now.hour + 12) % 24 - 12  # in -12..11, all of which Etc/GMT has
    # POSIX sign: Etc/GMT-2 is two hours ahead of UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def write_config(directory: Path, agents: int, calendar: str, now: datetime | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "acd.yaml").write_text(
        yaml.safe_dump(
            {
                "engine": {"ring_timeout_s": 15, "wrap_up_s": 0},
                "log_level": "WARNING",
                "storage": {"url": f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"},
            }
        )
    )
    (directory / "line_codes.yaml").write_text(
        yaml.safe_dump({"line_codes": [{"name": LINE_CODE}]})
    )
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    (directory / "calendars.yaml").write_text(
        yaml.safe_dump(
            {
                "calendars": [
                    {
                        "name": "office",
                        "timezone": _office_zone(now or datetime.now(UTC)),
                        "weekly": {day: _OFFICE_SLOTS for day in days},
                    },
                    {
                        "name": "always",
                        "timezone": "Europe/Brussels",
                        "weekly": {day: ["00:00-24:00"] for day in days},
                        "holidays": None,
                    },
                ]
            }
        )
    )
    line = {"id": "1700", "name": "1700", "numbers": ["1700"], "line_codes": [LINE_CODE]}
    line["calendar"] = calendar
    (directory / "lines.yaml").write_text(yaml.safe_dump({"lines": [line]}))
    point: dict[str, object] = {"id": "bench-point", "editorial_title": "Bench"}
    point |= {"email": "bench@example.org", "line_codes": [LINE_CODE]}
    (directory / "escalation_points.yaml").write_text(
        yaml.safe_dump({"escalation_points": [point]})
    )
    (directory / "agents.yaml").write_text(
        yaml.safe_dump(
            {
                "agents": [
                    {
                        "id": f"{9000 + i}",
                        "name": f"Agent {i}",
                        "endpoint": f"PJSIP/{9000 + i}",
                        "line_codes": [LINE_CODE],
                    }
                    for i in range(agents)
                ]
            }
        )
    )


class Timing:
    """Contact-event sink: when the engine handled each contact's arrival and agent answer
    (keyed by the caller's channel), on the process's performance counter."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.ended = 0

    def contact_event(self, event: ContactEvent) -> None:
        now = time.perf_counter()
        if event.kind is ContactEventKind.ARRIVED:
            self.arrived[event.contact.channel_id] = now
        elif event.kind is ContactEventKind.ANSWERED:
            self.answered[event.contact.channel_id] = now
        elif event.kind is ContactEventKind.ENDED:
            self.ended += 1

    def agent_event(self, event: AgentEvent) -> None:
        pass


class Wire:
    """What crosses the engine's ARI connection: REST requests sent, event bytes received, and
    when each caller's channel was bridged (the answer to ``POST /bridges/{id}/addChannel``).

    Counted by wrapping the transport's and the reader's methods for the run, so the engine
    carries no benchmark counters; the wrappers' own cost is in the engine CPU figure (tiny)."""

    def __init__(self) -> None:
        self.requests = 0
        self.event_bytes = 0
        self.transactions = 0  # SQL commits (every writer's)
        self.thread_hops = 0  # calls handed to aiosqlite's thread
        self.records_cpu_s = 0.0  # CPU of the records' own thread (SQLite file transactions)
        self.bridged: dict[str, float] = {}  # caller channel -> its addChannel answered
        self.agent_answered: dict[str, float] = {}  # caller channel -> its agent picked up
        self._leg_answered: dict[str, float] = {}  # agent leg -> the engine took its answer

    @contextlib.contextmanager
    def counting(self, event_filter: bool, stdlib_json: bool) -> Iterator[None]:
        request, ws_request, handle_text, apply, decode, submit = (
            HttpTransportBase.request,
            WsRestTransport.request,
            EventStream._handle_text,
            EventFilter.apply,
            stream_module._decode,
            EngineRuntime.submit,
        )
        wire = self

        def noted_submit(runtime: EngineRuntime, event: inp.Input) -> None:
            # The contact's answered event comes once the bridge is made: the agent's answer
            # is timed where the engine takes it in.
            if isinstance(event, inp.AgentLegAnswered):
                wire._leg_answered[event.channel_id] = time.perf_counter()
            submit(runtime, event)

        def counted(send: Any) -> Any:
            async def counted_request(
                transport: Any, method: str, path: str, params: Any = None, **kw: Any
            ) -> Any:
                wire.requests += 1
                result = await send(transport, method, path, params, **kw)
                if path.endswith("/addChannel"):
                    caller, leg = params["channel"]
                    wire.bridged[caller] = time.perf_counter()
                    if leg in wire._leg_answered:
                        wire.agent_answered[caller] = wire._leg_answered.pop(leg)
                return result

            return counted_request

        def counted_text(stream: EventStream, text: str, raw: Any, generation: int) -> Any:
            wire.event_bytes += len(text)  # ARI's JSON is ASCII: characters are bytes
            return handle_text(stream, text, raw, generation)

        async def no_filter(self: EventFilter) -> bool:
            return False  # the engine as before the filter: every event type arrives

        HttpTransportBase.request = counted(request)  # type: ignore[method-assign]
        WsRestTransport.request = counted(ws_request)  # type: ignore[method-assign]
        EngineRuntime.submit = noted_submit  # type: ignore[method-assign,assignment]
        EventStream._handle_text = counted_text  # type: ignore[method-assign,assignment]
        if not event_filter:
            EventFilter.apply = no_filter  # type: ignore[method-assign]
        if stdlib_json:
            stream_module._decode = _stdlib_decode  # the reader as before orjson
        try:
            with self._sql_counting():
                yield
        finally:
            HttpTransportBase.request = request  # type: ignore[method-assign]
            WsRestTransport.request = ws_request  # type: ignore[method-assign]
            EngineRuntime.submit = submit  # type: ignore[method-assign]
            EventStream._handle_text = handle_text  # type: ignore[method-assign]
            EventFilter.apply = apply  # type: ignore[method-assign]
            stream_module._decode = decode

    @contextlib.contextmanager
    def _sql_counting(self) -> Iterator[None]:
        """SQL commits, and calls handed to aiosqlite's thread (each a queue hand-off and a
        wake-up of the event loop)."""
        thread_call = aiosqlite.Connection._execute
        transaction = RecordsStore._transaction  # the records' own thread: one hop each
        wire = self

        def counted_transaction(store: RecordsStore, records: Any) -> None:
            wire.thread_hops += 1  # counted in that thread: the hand-off is one per call
            cpu0 = time.thread_time()
            transaction(store, records)
            wire.records_cpu_s += time.thread_time() - cpu0

        async def counted_hop(connection: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            wire.thread_hops += 1
            return await thread_call(connection, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

        def counted_commit(_connection: Any) -> None:
            wire.transactions += 1

        aiosqlite.Connection._execute = counted_hop  # type: ignore[method-assign,assignment]
        RecordsStore._transaction = counted_transaction  # type: ignore[method-assign,assignment]
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "commit", counted_commit)
        try:
            yield
        finally:
            aiosqlite.Connection._execute = thread_call  # type: ignore[method-assign]
            RecordsStore._transaction = transaction  # type: ignore[method-assign]
            sqlalchemy.event.remove(sqlalchemy.engine.Engine, "commit", counted_commit)


def _stdlib_decode(text: str) -> dict[str, Any] | None:
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    return raw if isinstance(raw, dict) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def end_to_end(
    calls: int,
    agents: int,
    rate: float,
    calendar: str,
    event_filter: bool,
    stdlib_json: bool,
    rest_over: str = "websocket",
    http_client: str = "lean",
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        write_config(config, agents, calendar)
        port = free_port()
        emulator = subprocess.Popen(  # noqa: ASYNC220 (set-up, before the measurement)
            [
                sys.executable,
                "-m",
                "acd.cli",
                "emulator",
                "--config",
                str(config),
                "--port",
                str(port),
            ],
            stderr=subprocess.DEVNULL,
        )
        try:
            wire = Wire()
            with wire.counting(event_filter, stdlib_json):
                transport = (rest_over, http_client)
                result = await _drive(config, port, calls, agents, rate, wire, transport)
            decoder = "json" if stdlib_json else "orjson"
            head = {"calendar": calendar, "event_filter": event_filter, "decoder": decoder}
            head["rest_over"] = rest_over
            head["gc"] = "as-run" if GC_AS_RUN else "default"
            if rest_over == "http":
                head["http_client"] = http_client
            return {**head, "rate": rate, **result}
        finally:
            emulator.terminate()
            emulator.wait(10)


def _profiled(profiler: cProfile.Profile | None, per_call: int) -> dict[str, Any]:
    """Python function calls per call (deterministic, unlike CPU time on a shared machine);
    the top entries by own time go to stderr."""
    if profiler is None:
        return {}
    if PROFILE_DUMP:
        profiler.dump_stats(PROFILE_DUMP)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(45)
    calls = sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
    return {"python_calls_per_call": round(calls / per_call)}


def _percentile_ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[int(q * (len(ordered) - 1))], 2)


async def _drive(
    config: Path,
    port: int,
    calls: int,
    agents: int,
    rate: float,
    wire: Wire,
    transport: tuple[str, str],
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": aiohttp.encode_basic_auth("asterisk", "asterisk")}
    async with aiohttp.ClientSession(headers=headers) as http:
        for _ in range(600):  # up to a minute: on a busy machine the emulator starts slowly
            try:
                async with http.get(f"{url}/ari/asterisk/ping"):
                    break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        for i in range(agents):  # quick agents: answer at once, talk half a second
            body = {"mode": "answer", "ring_s": 0.05, "hangup_after_s": 0.5}
            async with http.put(f"{url}/emulator/endpoints/PJSIP/{9000 + i}", json=body):
                pass
        settings = load_settings(
            config,
            env={},
            overrides={
                "ari.url": url,
                "http.listen": "127.0.0.1:0",
                "ari.rest_over": transport[0],
                "ari.http_client": transport[1],
            },
        )
        timing = Timing()
        async with running_engine(
            settings, clock=Clock(), extra_sinks=[timing], http=False
        ) as engine:
            await engine.stream.wait_connected(10)
            for agent in settings.agents:
                engine.runtime.submit(inp.AgentLogin(agent.id))
            await asyncio.sleep(0.5)  # the logins' and the filter's work is not the calls'
            if GC_AS_RUN:
                # As `acd run` does once started (acd/cli.py): start-up objects frozen out of
                # the cyclic GC, collections rarer.
                gc.freeze()
                gc.set_threshold(50_000, 20, 100)
            # What the engine costs doing nothing (timers, dialer, metrics), so the per-call
            # figure can be told apart from it: at a low call rate it is a large share.
            idle_cpu0 = time.process_time()
            await asyncio.sleep(IDLE_S)
            idle_cpu_per_s = (time.process_time() - idle_cpu0) / IDLE_S
            stats = engine.stream.stats
            requests0, bytes0, events0 = wire.requests, wire.event_bytes, stats.events_received
            sql0 = (wire.transactions, wire.thread_hops)
            records_cpu0 = wire.records_cpu_s
            timer = time.thread_time if PROFILE_CPU else time.perf_counter
            profiler = cProfile.Profile(timer) if PROFILE or PROFILE_CPU else None
            if profiler is not None:
                profiler.enable()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            loop_cpu0 = time.thread_time()  # the event loop's thread alone
            # The callers are a process of their own, so their HTTP work is not engine CPU.
            placer = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--place-calls", url, str(calls), str(rate)
            )
            await placer.wait()
            deadline = time.perf_counter() + 120
            while timing.ended < calls and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            loop_cpu = time.thread_time() - loop_cpu0
            records_cpu = wire.records_cpu_s - records_cpu0
            if profiler is not None:
                profiler.disable()
            requests = wire.requests - requests0
            transactions, thread_hops = wire.transactions - sql0[0], wire.thread_hops - sql0[1]
            event_bytes = wire.event_bytes - bytes0
            events = stats.events_received - events0
            await engine.recorder.flush()
    answered = len(timing.answered)
    per_call = max(1, timing.ended)
    picked_up = wire.agent_answered
    to_answer = [picked_up[c] - timing.arrived[c] for c in timing.answered if c in picked_up]
    to_bridge = [wire.bridged[c] - picked_up[c] for c in timing.answered if c in picked_up]
    return {
        "calls": calls,
        "answered": answered,
        "ended": timing.ended,
        "wall_s": round(wall, 2),
        "contacts_per_s": round(answered / wall, 1),
        "engine_cpu_ms_per_call": round(1000 * cpu / per_call, 2),
        "engine_loop_thread_cpu_ms_per_call": round(1000 * loop_cpu / per_call, 2),
        "records_thread_cpu_ms_per_call": round(1000 * records_cpu / per_call, 2),
        "engine_idle_cpu_ms_per_s": round(1000 * idle_cpu_per_s, 2),
        "engine_cpu_ms_per_call_net_of_idle": round(
            1000 * (cpu - idle_cpu_per_s * wall) / per_call, 2
        ),
        "rest_requests_per_call": round(requests / per_call, 1),
        "sql_transactions_per_call": round(transactions / per_call, 2),
        "sqlite_thread_hops_per_call": round(thread_hops / per_call, 1),
        **_profiled(profiler, per_call),
        "events_per_call": round(events / per_call, 1),
        "event_kb_per_call": round(event_bytes / per_call / 1000, 1),
        "arrival_to_agent_answer_p50_ms": _percentile_ms(to_answer, 0.5),
        "agent_answer_to_bridged_p50_ms": _percentile_ms(to_bridge, 0.5),
        "agent_answer_to_bridged_p99_ms": _percentile_ms(to_bridge, 0.99),
    }


async def place_calls(url: str, calls: int, rate: float) -> None:
    """Place calls at ``rate`` per second through the emulator's control API."""
    headers = {"Authorization": aiohttp.encode_basic_auth("asterisk", "asterisk")}
    async with aiohttp.ClientSession(headers=headers) as http:
        await _place_calls(http, url, calls, rate)


async def _place_calls(http: aiohttp.ClientSession, url: str, calls: int, rate: float) -> None:
    start = time.perf_counter()
    pending: set[asyncio.Task[Any]] = set()

    async def place(i: int) -> None:
        body = {"number": "1700", "caller_number": f"047{i:07d}"}
        async with http.post(f"{url}/emulator/calls", json=body) as resp:
            await resp.read()

    for i in range(calls):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        task = asyncio.create_task(place(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)


class InstantAri:
    """An ARI port that answers every request at once (the ingest benchmark measures the engine).

    Not ``tests.fakes.FakeAriClient``: the benchmark runs as a script, without the tests package,
    and records nothing."""

    async def answer(self, channel_id: str) -> None:
        pass

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        pass

    async def play(
        self, channel_id: str, media: list[str], playback_id: str, lang: str | None = None
    ) -> None:
        pass

    async def stop_playback(self, playback_id: str) -> None:
        pass

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        pass

    async def stop_moh(self, channel_id: str) -> None:
        pass

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str,
        app: str,
        app_args: list[str],
        caller_id: str | None = None,
        timeout_s: int | None = None,
        originator: str | None = None,
    ) -> None:
        pass

    async def create_bridge(self, bridge_id: str, bridge_type: str = "mixing") -> None:
        pass

    async def add_channel(self, bridge_id: str, channel_ids: list[str]) -> None:
        pass

    async def remove_channel(self, bridge_id: str, channel_ids: list[str]) -> None:
        pass

    async def destroy_bridge(self, bridge_id: str) -> None:
        pass

    async def snoop(self, channel_id: str, **options: Any) -> None:
        return None

    async def record_bridge(
        self, bridge_id: str, name: str, format: str = "wav", *, if_exists: str | None = None
    ) -> None:
        pass

    async def list_channels(self) -> list[Channel]:
        return []

    async def get_channel(self, channel_id: str) -> Channel:
        return Channel(channel_id, "PJSIP/x", "Up")

    async def list_bridges(self) -> list[Bridge]:
        return []

    async def get_application(self, app: str) -> dict[str, Any]:
        return {"name": app, "channel_ids": [], "bridge_ids": []}


_: AriPort = InstantAri()  # mypy: the benchmark's port keeps up with the runtime's


def recorded_call_events(n: int) -> list[str]:
    """n calls' worth of the real event JSON of bridge.jsonl, ids made unique per call."""
    # The repository's copy of the recording (tests/data/ari-traces, see tests/traces.py).
    trace = Path(__file__).resolve().parents[1] / "tests/data/ari-traces/bridge.jsonl"
    template = [
        json.dumps(rec["event"])
        for rec in map(json.loads, trace.read_text().splitlines())
        if rec["dir"] == "event"
    ]
    out = []
    for i in range(n):
        for raw in template:
            out.append(raw.replace("1795390452.1", f"c{i}.1").replace("ag-41843068", f"x{i}"))
    return out


async def ingest(calls: int) -> dict[str, Any]:
    config = EngineConfig(
        lines=(LineConfig("1701", "1701", ("1701",), (LINE_CODE,), LINE_CODE),),
        agents=tuple(
            AgentConfig(f"a{i}", f"A{i}", f"PJSIP/a{i}", {LINE_CODE: 3}) for i in range(50)
        ),
    )
    runtime = EngineRuntime(EngineCore(config), InstantAri(), Clock(), [], "acd")
    runtime.start()
    messages = recorded_call_events(calls)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i, raw in enumerate(messages):
        runtime.on_event(parse_event(orjson.loads(raw)))  # as the event reader decodes
        if i % 1000 == 0:
            await asyncio.sleep(0)  # let the command tasks run, as the reader does between frames
    await runtime.drain()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "events": len(messages),
        "events_per_s": round(len(messages) / wall),
        "events_per_cpu_s": round(len(messages) / cpu),
    }


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    if sys.argv[1:2] == ["--place-calls"]:
        url, calls, rate = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        asyncio.run(place_calls(url, calls, rate))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--rate", type=float, default=250.0, help="offered calls per second")
    parser.add_argument("--quick", action="store_true", help="a small run to check it works")
    parser.add_argument(
        "--current", action="store_true", help="only the engine as it runs (filter on, orjson)"
    )
    parser.add_argument(
        "--rest-over",
        choices=("websocket", "http", "both"),
        default="both",
        help="how REST requests travel (ari.rest_over); both: one run each",
    )
    parser.add_argument(
        "--http-client",
        choices=("lean", "aiohttp", "both"),
        default="lean",
        help="the HTTP client when REST goes over HTTP (ari.http_client); both: one run each",
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio", "both"),
        default="uvloop",
        help="the engine's event loop (event_loop in acd.yaml); both: one run each",
    )
    parser.add_argument(
        "--calendars", default="office,always", help="comma-separated: office, always"
    )
    parser.add_argument(
        "--profile", action="store_true", help="count Python function calls per call (cProfile)"
    )
    parser.add_argument(
        "--profile-cpu", action="store_true", help="--profile timed in thread CPU, not wall time"
    )
    parser.add_argument(
        "--gc",
        choices=("as-run", "default"),
        default="as-run",
        help="the engine's GC: tuned as `acd run` tunes it, or Python's defaults",
    )
    parser.add_argument(
        "--records-sql",
        choices=("cursor", "sqlalchemy", "both"),
        default="cursor",
        help="the records thread's statements: on the sqlite3 cursor (as the engine runs) or "
        "through SQLAlchemy's execution (as before); both: one run each",
    )
    parser.add_argument("--profile-dump", default="", help="write the pstats file there")
    args = parser.parse_args()
    global PROFILE, PROFILE_CPU, PROFILE_DUMP, GC_AS_RUN
    GC_AS_RUN = args.gc == "as-run"
    PROFILE, PROFILE_CPU, PROFILE_DUMP = args.profile, args.profile_cpu, args.profile_dump
    calls = 200 if args.quick else args.calls
    print(f"machine: {machine()}")
    print("ingest:", json.dumps(asyncio.run(ingest(200 if args.quick else 2000))))
    # Each run its own emulator and engine; the engine's figures are per call.  "Before" is the
    # engine before the event filter and orjson: no filter, the stdlib json.
    over = ("websocket", "http") if args.rest_over == "both" else (args.rest_over,)
    clients = ("lean", "aiohttp") if args.http_client == "both" else (args.http_client,)
    loops: tuple[Any, ...] = ("uvloop", "asyncio") if args.loop == "both" else (args.loop,)
    transports = [
        (rest_over, client)
        for rest_over in over
        for client in (clients if rest_over == "http" else clients[:1])
    ]
    records_sql = ("cursor", "sqlalchemy") if args.records_sql == "both" else (args.records_sql,)
    for calendar in args.calendars.split(","):
        variants = (
            ((True, False),) if args.current else ((True, False), (False, False), (False, True))
        )
        for event_filter, stdlib_json in variants:
            for (rest_over, client), loop, sql in itertools.product(transports, loops, records_sql):
                run = (calls, args.agents, args.rate, calendar, event_filter, stdlib_json)
                transaction = _ON_CURSOR if sql == "cursor" else _through_sqlalchemy
                RecordsStore._transaction = transaction  # type: ignore[method-assign,assignment]
                with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
                    result = runner.run(end_to_end(*run, rest_over, client))
                print(
                    "end to end:",
                    json.dumps({"loop": loop, "records_sql": sql, **result}),
                    flush=True,
                )


_ON_CURSOR = RecordsStore._transaction


def _through_sqlalchemy(store: RecordsStore, records: Sequence[Record]) -> None:
    """The records thread's transaction as it was before the statements ran on the sqlite3
    cursor: each through SQLAlchemy's execution (``RecordsStore._write``)."""
    global _SYNC_ENGINE
    if _SYNC_ENGINE is None:
        path = store._file
        assert path is not None
        _SYNC_ENGINE = sqlalchemy.create_engine("sqlite://", creator=lambda: _pysqlite(path))
    with _SYNC_ENGINE.begin() as connection:
        store._write(connection, records)


_SYNC_ENGINE: sqlalchemy.Engine | None = None


def _pysqlite(path: str) -> sqlite3.Connection:
    """The records' connection as pysqlite makes it by default: a transaction begun by the
    driver before the first write, as SQLAlchemy's pysqlite dialect expects."""
    connection = sqlite_file_connection(path)
    connection.isolation_level = "DEFERRED"
    return connection


if __name__ == "__main__":
    main()
