"""The engine on a real Asterisk, side by side with app_queue (docs/performance.md, "On a real
Asterisk").

A real Asterisk 22.10.1 (../shared/asterisk) with 50 agent endpoints, all answered by one sipp
UAS (rings 200 ms, answers, waits for the BYE), and sipp callers at fixed call rates, each
hanging up 2 s after its answer.  Per call rate, the same load goes in turn to:

- the engine's office-hours line and its 24/7 line (``calendar: always``), event filter on;
- the same two lines on a second engine (another ARI application) that differs in one setting
  (``--compare``): ``ari.rest_over: http`` (REST over HTTP instead of the events WebSocket:
  what the WebSocket saves, in the engine and in Asterisk) or ``ari.event_filter: false``
  (what the filter saves);
- Asterisk's own app_queue (``Answer()``, ``Queue(bench)`` over the same 50 agents, one call
  per agent, the longest idle first).

Per scenario: engine CPU ms per offered call and Asterisk CPU ms per offered call
(``/proc/<pid>/stat`` utime + stime, all threads); REST requests, events and event kB per call
(counted inside the engine: bench/realpbx_engine.py); callers that reached an agent (shared a
bridge with one) out of those offered, and agent answered -> caller and agent in one bridge,
p50/p99, both from Asterisk's own events (millisecond timestamps) on an observer application.

``--pin`` gives the engines a processor of their own (the last; their acd.yaml
``cpu_affinity``) and keeps the bench, Asterisk and sipp on the others.

    .venv/bin/python bench/realpbx_e2e.py [--rates 20,40,60,90] [--seconds 10] [--agents 50]
                                          [--lines office,always] [--compare http|filter]
                                          [--pin] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository's packages are importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.realpbx_figures import scenario_figures
from bench.realpbx_pbx import (
    APP_QUEUE_NUMBER,
    CALL_TIMEOUT_S,
    ENGINE_NUMBERS,
    HOLD_MS,
    RING_MS,
    BenchEngine,
    Observer,
    Sipp,
    asterisk_pid,
    idle,
    read_counts,
    start_agent_phones,
    start_asterisk,
    start_callers,
)
from tests.realpbx.harness import Asterisk, shared_dir

SETTLE_S = 1.0  # the observer's silence that says it has heard the scenario's last event
IDLE_S = 5.0  # how long the idle CPU is measured
_IDS = re.compile(r"[0-9a-f]{12}|\d+\.\d+|\d{3,}")  # channel, bridge and contact ids


def run_scenario(
    pbx: Asterisk,
    observer: Observer,
    workdir: Path,
    *,
    name: str,
    number: str,
    rate: int,
    seconds: int,
    engine: BenchEngine | None,
    agents: int,
) -> dict[str, Any]:
    idle(pbx, 60)
    if engine is not None:
        engine.agents_ready(agents)
    known = {r["id"] for r in engine.engine.records()} if engine else set()
    log_from = engine.engine.log.stat().st_size if engine else 0
    observer.quiet(SETTLE_S, 120)
    observer.take()  # forget the previous scenario's stragglers
    pid = asterisk_pid(pbx)
    offered = rate * seconds
    before = read_counts(pid, engine)
    callers = start_callers(pbx, workdir, number, rate, offered)
    exit_code = callers.process.wait(seconds + CALL_TIMEOUT_S + 30)
    left_over = idle(pbx, CALL_TIMEOUT_S)
    observer.quiet(SETTLE_S, 120)
    after = read_counts(pid, engine)
    row = {"scenario": name, "rate": rate, "sipp_exit": exit_code, "left_over_channels": left_over}
    row |= scenario_figures(offered, after - before, observer.take(), engine is not None)
    if engine is not None:
        row |= _engine_outcomes(engine, known, log_from)
    return row


def _idle_cpu(pbx: Asterisk, engine: BenchEngine, seconds: float) -> dict[str, float]:
    """CPU of the engine and of Asterisk with no call at all (timers, lease, the observer)."""
    idle(pbx, 10)
    pid = asterisk_pid(pbx)
    before, start = read_counts(pid, engine), time.monotonic()
    time.sleep(seconds)
    spent, elapsed = read_counts(pid, engine) - before, time.monotonic() - start
    return {
        "engine": round(spent.engine_cpu_s * 1000 / elapsed, 2),
        "asterisk": round(spent.asterisk_cpu_s * 1000 / elapsed, 2),
    }


RECORDS_SETTLE_S = 5.0


def _engine_outcomes(engine: BenchEngine, known: set[str], log_from: int) -> dict[str, Any]:
    """What the engine recorded of the scenario's calls (outcomes, offer results) and how many
    warnings it logged: where its defects under load show."""
    # The recorder writes in batches behind the events: give the last contacts' ends a moment
    # to reach SQL, so a call in flight is told apart from one the engine never ended.
    deadline = time.monotonic() + RECORDS_SETTLE_S
    while True:
        records = [r for r in engine.engine.records() if r["id"] not in known]
        if all(r.get("outcome") for r in records) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    offers = Counter(str(o.get("result")) for r in records for o in r["offers"])
    with engine.engine.log.open("rb") as f:
        f.seek(log_from)
        lines = f.read().decode(errors="replace").splitlines()
    warnings = Counter(
        _IDS.sub("*", line.split(" ", 3)[-1])[:160]
        for line in lines
        if " WARNING " in line or " ERROR " in line
    )
    return {
        "outcomes": dict(Counter(str(r.get("outcome")) for r in records)),
        "offer_results": dict(offers),
        "engine_log_warnings": sum(warnings.values()),
        "engine_log_kinds": dict(warnings.most_common(8)),
    }


def run(
    rates: list[int],
    seconds: int,
    agents: int,
    lines: tuple[str, ...] = ("office", "always"),
    idle_s: float = IDLE_S,
    workdir: Path | None = None,
    compare: str = "http",
    pin: bool = False,
) -> dict[str, Any]:
    engine_cpus = pin_processors() if pin else ()
    shared = shared_dir()
    if not (shared / "run-asterisk").exists():
        raise SystemExit(f"no real Asterisk at {shared} (see tests/realpbx/harness.py)")
    root = workdir or Path(tempfile.mkdtemp(prefix="realpbx-bench-"))
    pbx = start_asterisk(shared, root, agents)  # installs sipp (sip-tester) when missing
    started: list[BenchEngine | Sipp | Observer] = []
    try:
        observer = Observer(pbx)
        observer.start()
        started.append(observer)
        started.append(start_agent_phones(pbx, root))
        second = ("http", True) if compare == "http" else ("websocket", False)
        engines = {
            True: BenchEngine.start(
                root, pbx, agents, True, "websocket", first=True, cpus=engine_cpus
            ),
            False: BenchEngine.start(
                root, pbx, agents, second[1], second[0], first=False, cpus=engine_cpus
            ),
        }
        labels = {
            True: "websocket, filter on",
            False: f"{second[0]}, filter {'on' if second[1] else 'off'}",
        }
        started.extend(engines.values())
        # What the engines run on, as the OS has it: their cpu_affinity applied, or not.
        engine_processors = sorted(os.sched_getaffinity(engines[True].engine.process.pid))
        idle_cpu = _idle_cpu(pbx, engines[True], idle_s)
        rows = []
        for rate in rates:
            for on in (True, False):
                for line in lines:
                    number = ENGINE_NUMBERS[on][line]
                    name = f"engine {line} ({labels[on]})"
                    rows.append(
                        run_scenario(
                            pbx,
                            observer,
                            root,
                            name=name,
                            number=number,
                            rate=rate,
                            seconds=seconds,
                            engine=engines[on],
                            agents=agents,
                        )
                    )
                    _progress(rows[-1])
            rows.append(
                run_scenario(
                    pbx,
                    observer,
                    root,
                    name="app_queue",
                    number=APP_QUEUE_NUMBER,
                    rate=rate,
                    seconds=seconds,
                    engine=None,
                    agents=agents,
                )
            )
            _progress(rows[-1])
    finally:
        for process in reversed(started):
            process.stop()
        pbx.stop()
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "engine_processors": engine_processors if engine_cpus else "any",
            "agents": agents,
            "seconds_per_scenario": seconds,
            "agent_ring_ms": RING_MS,
            "caller_hold_ms_after_answer": HOLD_MS,
            "workdir": str(root),
        },
        # What the CPU figures include that is no call's: per second of a scenario's window.
        "idle_cpu_ms_per_s": idle_cpu,
        "scenarios": rows,
    }


def pin_processors() -> tuple[int, ...]:
    """``--pin``: the bench, and so Asterisk and sipp that it starts, on every processor but
    the last; the engines on the last, of their own (their ``cpu_affinity``)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("--pin needs at least 2 processors: the engines get one of their own")
    os.sched_setaffinity(0, cpus[:-1])
    return (cpus[-1],)


def _progress(row: dict[str, Any]) -> None:
    print(f"  {row['scenario']} @ {row['rate']}/s: {_brief(row)}", file=sys.stderr, flush=True)


def _brief(row: dict[str, Any]) -> str:
    keys = [
        "engine_cpu_ms_per_call",
        "asterisk_cpu_ms_per_call",
        "reached_agent",
        "offered",
        "bridged_ms_p50",
        "bridged_ms_p99",
        "rest_requests_per_call",
        "events_per_call",
        "event_kb_per_call",
    ]
    return ", ".join(f"{k}={row[k]}" for k in keys if k in row)


def table(result: dict[str, Any]) -> str:
    """docs/performance.md's table: each engine row beside app_queue's at the same rate."""
    lines = [
        "| scenario | calls/s | engine CPU ms/call | Asterisk CPU ms/call (app_queue) "
        "| reached agent (app_queue) | bridged p50/p99 ms (app_queue) "
        "| REST / events / kB per call |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = result["scenarios"]
    queue = {r["rate"]: r for r in rows if r["scenario"] == "app_queue"}
    for r in rows:
        if r["scenario"] == "app_queue":
            continue
        q = queue.get(r["rate"], {})
        lines.append(
            f"| {r['scenario']} | {r['rate']} | {r['engine_cpu_ms_per_call']} "
            f"| {r['asterisk_cpu_ms_per_call']} ({q.get('asterisk_cpu_ms_per_call')}) "
            f"| {r['reached_agent']}/{r['offered']} "
            f"({q.get('reached_agent')}/{q.get('offered')}) "
            f"| {r['bridged_ms_p50']}/{r['bridged_ms_p99']} "
            f"({q.get('bridged_ms_p50')}/{q.get('bridged_ms_p99')}) "
            f"| {r['rest_requests_per_call']} / {r['events_per_call']} / "
            f"{r['event_kb_per_call']} |"
        )
    return "\n".join(lines)


def parse_rates(text: str) -> list[int]:
    try:
        rates = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rates: whole calls per second, not {text!r}") from None
    if not rates or any(rate < 1 for rate in rates):
        raise argparse.ArgumentTypeError(f"--rates: one or more rates of at least 1, not {text!r}")
    return rates


def parse_lines(text: str) -> tuple[str, ...]:
    lines = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(lines) - set(ENGINE_NUMBERS[True]))
    if not lines or unknown:
        raise argparse.ArgumentTypeError(f"--lines: office and/or always, not {text!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=parse_rates, default=[20, 40, 60, 90])
    parser.add_argument("--seconds", type=int, default=10, help="of calls per scenario")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument(
        "--lines", type=parse_lines, default=("office", "always"), help="office,always"
    )
    parser.add_argument("--idle-seconds", type=float, default=IDLE_S, help="of idle CPU")
    parser.add_argument("--workdir", type=Path, help="for logs (default: a new temporary one)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--compare",
        choices=("http", "filter"),
        default="http",
        help="the second engine: REST over HTTP, or the event filter off",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the engines on the last processor, of their own (acd.yaml cpu_affinity); "
        "Asterisk, sipp and the bench on the others",
    )
    args = parser.parse_args(argv)
    result = run(
        args.rates,
        args.seconds,
        args.agents,
        args.lines,
        args.idle_seconds,
        args.workdir,
        args.compare,
        args.pin,
    )
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
