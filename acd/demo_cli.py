"""``acd demo``'s command: the options read from the command line, the demo run (one engine:
:mod:`acd.demo`; several nodes on one agent pool: :mod:`acd.demo_nodes`), its summary printed
as lines or as one JSON object."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from acd.demo import DemoOptions, run_demo
from foundation.redact import redact_url


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
    _print_summary(summary, args.json, heading="\nSummary:", width=38)
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
    _print_summary(summary, args.json, heading=None, width=28)
    return 0 if summary["double_offers"] == 0 and summary["lost"] == 0 else 1


def _print_summary(summary: dict[str, Any], as_json: bool, heading: str | None, width: int) -> None:
    """One JSON object (``--json``), or a line per figure under ``heading``."""
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    if heading is not None:
        print(heading)
    for key, value in summary.items():
        print(f"  {key:{width}} {value}")
