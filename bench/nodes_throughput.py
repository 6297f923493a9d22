"""Contacts per second with one engine node and with two on one Redis (docs/performance.md,
"Several nodes on one Redis").

Each run is ``acd demo --nodes`` on a generated config (many agents skilled in one line code,
a 24/7 line, no wrap-up), on virtual time: arrivals at a rate that keeps the agents busy most
of the time, the calls in progress drained at the end.  All nodes, their emulators and the
callers share one process and so one core: the figure is the CPU the whole system spends per
contact, the sharing's overhead (the agent feed, the reservations in Redis) included; it is
not the scale-out two hosts would give.  Three runs:

- one node, agents in memory (no Redis): the baseline;
- one node on Redis: the shared pool's cost when nobody shares it;
- two nodes on one Redis, callers spread over both.

Each reports contacts, real and CPU seconds, contacts per CPU second, the reservation round
trips and how long the loop was blocked in them, double offers and lost contacts.

    .venv/bin/python bench/nodes_throughput.py [--url redis://127.0.0.1:6379/0]
                                               [--agents 200] [--minutes 20] [--rate 2900]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.demo_nodes import NodesOptions, run_nodes_demo
from bench.engine_e2e import write_config


def one_run(
    config: Path, nodes: int, url: str | None, minutes: float, rate: float
) -> dict[str, Any]:
    options = NodesOptions(redis_url=url, nodes=nodes, minutes=minutes, calls_per_hour=rate)
    cpu, real = time.process_time(), time.perf_counter()
    summary = run_nodes_demo(config, options)
    cpu, real = time.process_time() - cpu, time.perf_counter() - real
    per_node = summary["per_node"].values()
    contacts = sum(n["entered"] for n in per_node)
    calls = sum(n["reservation_calls"] for n in per_node)
    blocked = sum(n["reservation_blocked_s"] for n in per_node)
    return {
        "contacts": contacts,
        "answered": summary["answered"],
        "agent_occupancy": summary["agent_occupancy"],
        "real_s": round(real, 2),
        "cpu_s": round(cpu, 2),
        "contacts_per_cpu_s": round(contacts / cpu, 1),
        "cpu_ms_per_contact": round(1000 * cpu / contacts, 2),
        "reservation_round_trips": calls,
        "blocked_ms_per_round_trip": round(1000 * blocked / calls, 3) if calls else None,
        "blocked_ms_per_contact": round(1000 * blocked / contacts, 3),
        "races_lost": sum(n["reservation_races_lost"] for n in per_node),
        "double_offers": summary["double_offers"],
        "lost": summary["lost"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=2900.0, help="calls per hour")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    results: dict[str, Any] = {
        "machine": f"{machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "agents": args.agents,
        "minutes": args.minutes,
        "calls_per_hour": args.rate,
    }
    with tempfile.TemporaryDirectory(prefix="acd-bench-nodes-") as tmp:
        config = Path(tmp) / "config"
        write_config(config, args.agents, "always")
        for label, nodes, url in (
            ("1 node, memory", 1, None),
            ("1 node, Redis", 1, args.url),
            ("2 nodes, one Redis", 2, args.url),
        ):
            results[label] = one_run(config, nodes, url, args.minutes, args.rate)
            print(label, json.dumps(results[label]), file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
