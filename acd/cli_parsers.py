"""The ``acd`` command's parsers: every command, its options and help text (run by
:mod:`acd.cli`).  Nothing here loads the engine, SQLAlchemy or the stores: ``acd --help``
stays quick, and the modules that run a command are loaded only when it runs."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from acd.auth.cli_parser import add_auth_parsers

DEFAULT_CONFIG = Path("config")


def config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        metavar="DIR",
        help="config directory with acd.yaml, lines.yaml, line_codes.yaml, agents.yaml, "
        "escalation_points.yaml (default: ./config)",
    )


def store_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command on the stored data: the config and its storage.url."""
    config_arg(parser)
    parser.add_argument("--storage-url", help="override storage.url (SQLAlchemy async URL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acd",
        description="ACD and skills-routing engine on the Asterisk REST Interface (ARI).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the engine against the ARI server in the config (a real Asterisk)",
        description="Run the engine against the ARI URL in the config (a real Asterisk, or "
        "`acd emulator`).  Stops cleanly on Ctrl-C / SIGTERM.",
    )
    config_arg(run)
    run.add_argument("--ari-url", help="override ari.url, e.g. http://127.0.0.1:8088")
    run.add_argument("--storage-url", help="override storage.url (SQLAlchemy async URL)")
    run.add_argument("--listen", help="override http.listen, HOST:PORT of the HTTP API")
    run.add_argument("--log-level", help="override log_level (DEBUG, INFO, WARNING, ...)")
    run.add_argument(
        "--redis-url",
        metavar="URL",
        help="override redis.url: run as one node of several sharing this Redis",
    )
    run.add_argument("--node-id", help="override redis.node_id (unique per engine node)")
    run.add_argument(
        "--take-over",
        action="store_true",
        help="start even if another live engine holds this ARI app (it then stops itself)",
    )

    emu = sub.add_parser(
        "emulator",
        help="run the ARI emulator alone (point `acd run` at it)",
        description="Serve the ARI emulator: Asterisk 22's REST paths and events over a "
        "simulated PBX whose dialplan and agent endpoints come from the config.",
    )
    config_arg(emu)
    emu.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8088, help="listen port (default 8088)")

    demo = sub.add_parser(
        "demo",
        help="engine + emulator + simulated callers and agents in one process",
        description="Run the engine against the built-in ARI emulator with simulated callers "
        "and agents (SQLite, no Redis), print a live summary, and end with a summary.  By "
        "default time is virtual: an hour of traffic takes seconds.",
    )
    config_arg(demo)
    demo.add_argument("--minutes", type=float, default=60.0, help="simulated minutes (60)")
    demo.add_argument("--json", action="store_true", help="print only one JSON summary")
    demo.add_argument(
        "--realtime", action="store_true", help="run on the wall clock instead of virtual time"
    )
    demo.add_argument("--calls-per-hour", type=float, help="arrival rate (150; with --nodes 190)")
    demo.add_argument("--seed", type=int, default=1700, help="random seed (1700)")
    demo.add_argument("--storage-url", help="contact records database (default: a temp SQLite)")
    demo.add_argument(
        "--http",
        type=listen_address,
        metavar="HOST:PORT",
        help="where the engine serves its API and /metrics, for a local Prometheus "
        "(default: a free loopback port, printed at start); best with --realtime",
    )
    demo.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="engine nodes, each with its own emulated Asterisk, sharing one agent pool in "
        "Redis (--redis); 1 (the default) is one engine without Redis",
    )
    demo.add_argument(
        "--redis",
        metavar="URL",
        help="the Redis of the shared agent pool, such as redis://127.0.0.1:6379/0 (with "
        "--nodes 2 or more; a key prefix of its own, deleted afterwards)",
    )
    demo.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="when the simulated day starts, ISO 8601 with offset "
        "(default 2027-03-30T09:00+02:00, a Tuesday morning)",
    )

    hours = sub.add_parser(
        "hours",
        help="show a line's opening hours at a moment or for a week",
        description="Print whether a line is open at a moment (default: now), why not, and "
        "when it opens next; or, with --week, each day's effective hours after holidays, "
        "closures and exceptional openings.",
    )
    config_arg(hours)
    hours.add_argument("--line", required=True, help="the line id, such as 1700")
    when = hours.add_mutually_exclusive_group()
    when.add_argument(
        "--at",
        metavar="DATETIME",
        help="such as 2027-03-29T10:00 (the line's time zone) or with an offset",
    )
    when.add_argument("--week", metavar="YYYY-Www", help="an ISO week, such as 2027-W13")

    _callbacks_parser(sub)
    _escalation_parser(sub)
    add_auth_parsers(sub, store_options)
    _report_parser(sub)
    status = sub.add_parser(
        "status",
        help="the engine nodes sharing state in Redis, their lease age and calls",
        description="List the engine nodes in the shared state (acd.yaml, redis:), with the "
        "age of each node's lease, its calls and its reservations.  Without a redis section "
        "the engine is one node and there is nothing shared to list.",
    )
    config_arg(status)
    status.add_argument("--json", action="store_true", help="one JSON object")

    check = sub.add_parser(
        "check-config",
        help="validate a config directory and summarise it",
        description="Load and validate a config directory; print a summary, or every mistake "
        "with its file, key and reason (exit status 2).",
    )
    check.add_argument("dir", type=Path, metavar="DIR", help="the config directory")
    return parser


CALLBACK_STATUSES = (
    "pending",
    "dialing",
    "completed",
    "no_answer",
    "failed",
    "cancelled",
    "expired",
)


def _callbacks_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Defined here, not in the callbacks package: importing that loads SQLAlchemy, and
    # `acd --help` should stay quick.
    callbacks = sub.add_parser(
        "callbacks",
        help="list, cancel or reschedule callbacks",
        description="Callbacks in the store of the config's storage.url: list them with "
        "filters, cancel one with a reason, or set when one is tried next.  Times without an "
        "offset are Europe/Brussels wall-clock time.",
    )
    actions = callbacks.add_subparsers(dest="callbacks_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list callbacks, oldest request first")
    listing.add_argument("--status", choices=CALLBACK_STATUSES, help="only in this status")
    listing.add_argument("--line", help="only of this line id, such as 1700")
    listing.add_argument("--line-code", help="only of this line code")
    listing.add_argument(
        "--due-before", metavar="DATETIME", help="only due before then, such as 2027-03-31T19:00"
    )
    listing.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cancel = actions.add_parser("cancel", help="cancel a pending callback")
    cancel.add_argument("id", help="the callback id")
    cancel.add_argument("--reason", required=True, help="why, for the other supervisors")
    reschedule = actions.add_parser("reschedule", help="set when a pending callback is tried")
    reschedule.add_argument("id", help="the callback id")
    reschedule.add_argument(
        "--at", required=True, metavar="DATETIME", help="such as 2027-03-31T10:00"
    )
    for parser in (listing, cancel, reschedule):
        store_options(parser)


MAIL_STATUSES = ("pending", "sending", "retrying", "given_up", "delivered")


def _escalation_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    escalation = sub.add_parser(
        "escalation",
        help="escalation points: list, check a transfer window, the e-mail outbox, ratings",
        description="Escalation points in the store of the config's storage.url (the "
        "configured ones added when missing), as they stand on the day.  Times without an "
        "offset are Europe/Brussels wall-clock time.",
    )
    actions = escalation.add_subparsers(dest="escalation_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the escalation points")
    listing.add_argument("--line-code", help="only the points of this line code")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check = actions.add_parser(
        "check", help="is a phone transfer to a point possible at a moment, and why not"
    )
    check.add_argument("id", help="the escalation point id")
    check.add_argument("--at", metavar="DATETIME", help="such as 2022-12-12T10:00 (default: now)")
    for parser in (listing, check):
        store_options(parser)
    outbox = actions.add_parser(
        "outbox",
        help="list escalation mails waiting or failed",
        description="Escalation mails not delivered yet (pending, sending, retrying, given_up), "
        "oldest first, with when each is tried next and its last error.",
    )
    outbox.add_argument(
        "--status",
        choices=MAIL_STATUSES,
        action="append",
        help="only in this status (repeatable); default: all but delivered",
    )
    outbox.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    outbox.add_argument("--json", action="store_true", help="print JSON instead of a table")
    store_options(outbox)
    ratings = actions.add_parser(
        "ratings",
        help="how the points rated the escalations, per point and per agent",
        description="Counts and average scores (1-5: clarity, completeness, correctness) of "
        "the ratings the escalation points gave, per point and per agent.",
    )
    ratings.add_argument("--point", help="only the ratings by this escalation point")
    ratings.add_argument("--agent", help="only the ratings of this agent's escalations")
    ratings.add_argument("--json", action="store_true", help="print JSON instead of tables")
    store_options(ratings)


REPORT_TABLES = ("operational", "totals", "points", "themes", "reasons")


def _report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report",
        help="a report from the contact records: csv, html (with charts) or xlsx",
        description="Operational figures per line, line code and interval (offered, answered, "
        "answer rate against the 95%% norm, service level, ASA, AHT, abandons, callbacks, "
        "escalations) and content (escalations per point with their quality ratings), from "
        "the database of the config's storage.url.  Intervals on Europe/Brussels time; "
        "figures as docs/sla.md defines them.  `acd report schedule list` shows the "
        "scheduled reports of acd.yaml.",
    )
    report.add_argument(
        "--from", dest="start", metavar="DATE", help="first day (2027-03-01) or a moment"
    )
    report.add_argument(
        "--to", dest="end", metavar="DATE", help="last day included (2027-03-31) or a moment"
    )
    report.add_argument(
        "--interval", default="1d", metavar="30m|1h|1d|1w|1mo", help="rows per (default 1d)"
    )
    report.add_argument("--format", choices=("csv", "html", "xlsx"), default="html")
    report.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write here (csv: FILE's stem gives one file per table); default: standard output",
    )
    report.add_argument(
        "--table",
        choices=REPORT_TABLES,
        help="csv: only this table (default on stdout: operational)",
    )
    store_options(report)
    actions = report.add_subparsers(dest="report_command", metavar="ACTION")
    schedule = actions.add_parser("schedule", help="the scheduled reports")
    schedule_actions = schedule.add_subparsers(
        dest="schedule_command", required=True, metavar="ACTION"
    )
    listing = schedule_actions.add_parser(
        "list", help="each schedule, its last period made and its next run"
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    # Also after the action; SUPPRESS so that, left out here, the report's own do not reset.
    listing.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, metavar="DIR", help="as above"
    )
    listing.add_argument("--storage-url", default=argparse.SUPPRESS, help="as above")


def listen_address(text: str) -> str:
    from acd.settings import split_listen

    try:
        split_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text
