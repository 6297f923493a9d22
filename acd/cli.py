"""The ``acd`` command: run the engine, the emulator or the demo; check a config directory;
show a line's opening hours; list, cancel or reschedule callbacks; list escalation points and
check a transfer window; manage the API's users and tokens; make reports from the contact
records.  Every command's options and help are in :mod:`acd.cli_parsers`; this module runs
them, each from a module loaded only when it runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from acd import event_loop
from acd.cli_parsers import build_parser
from foundation.errors import (
    ConfigError,
    ConfigErrors,
    EngineAlreadyRunning,
    NoDatabase,
    StartupRefused,
)

log = logging.getLogger("acd")


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """Command-line settings beat the environment and the files."""
    pairs = {
        "ari.url": getattr(args, "ari_url", None),
        "storage.url": getattr(args, "storage_url", None),
        "http.listen": getattr(args, "listen", None),
        "log_level": getattr(args, "log_level", None),
        "redis.url": getattr(args, "redis_url", None),
        "redis.node_id": getattr(args, "node_id", None),
    }
    return {k: v for k, v in pairs.items() if v is not None}


def _escalation(args: argparse.Namespace) -> int:
    if args.escalation_command == "outbox":
        from acd.mail_cli import outbox_command

        return outbox_command(args)
    if args.escalation_command == "ratings":
        from acd.rating_cli import ratings_command

        return ratings_command(args)
    from acd.escalation_cli import escalation_command

    return escalation_command(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check-config":
            return _check_config(args.dir)
        if args.command == "run":
            return _run(args)
        if args.command == "emulator":
            return _emulator(args)
        if args.command == "hours":
            return _hours(args)
        if args.command == "demo":
            from acd.demo_cli import run_demo_command

            return run_demo_command(args)
        if args.command in ("users", "tokens", "callbacks"):
            return _stored_command(args)
        if args.command == "escalation":
            return _escalation(args)
        if args.command in ("report", "status"):
            return _report_or_status(args)
    except (ConfigError, ConfigErrors) as exc:
        print(f"acd: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    except (EngineAlreadyRunning, StartupRefused, NoDatabase) as exc:
        # One line each, no traceback: what is wrong is all the operator needs.
        print(f"acd: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, NoDatabase) else 2
    except KeyboardInterrupt:
        return 130
    return 2


def _report_or_status(args: argparse.Namespace) -> int:
    if args.command == "status":
        from acd.status_cli import status_command

        return status_command(args)
    from acd.report_cli import report_command

    return report_command(args)


def _stored_command(args: argparse.Namespace) -> int:
    """The commands on the storage's tables; each module loaded only when run."""
    if args.command == "callbacks":
        from acd.callbacks_cli import callbacks_command

        return callbacks_command(args)
    from acd.auth.cli import auth_command

    return auth_command(args)


def _check_config(directory: Path) -> int:
    from acd.settings import check_config

    print(check_config(directory))
    return 0


def _hours(args: argparse.Namespace) -> int:
    from acd.hours import hours_at, hours_week, parse_at, parse_week
    from acd.settings import load_settings

    settings = load_settings(args.config)
    asked = args.week if args.week is not None else args.at
    try:
        if args.week is not None:
            print(hours_week(settings, args.line, parse_week(args.week)))
        else:
            # The one place `acd hours` reads the clock.
            at = parse_at(args.at) if args.at is not None else datetime.now(UTC)
            print(hours_at(settings, args.line, at))
    except ValueError as exc:
        print(f"acd: {exc}", file=sys.stderr)
        return 2
    except OverflowError:
        # The calendar looks days ahead and back (next opening, the day's zone offset).
        print(
            f"acd: {asked!r} is too near the end of the calendar (year 1 or 9999) to work out "
            "opening hours",
            file=sys.stderr,
        )
        return 2
    return 0


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr
    )


def _run(args: argparse.Namespace) -> int:
    from acd.app import running_engine
    from acd.settings import load_settings

    settings = load_settings(args.config, overrides=_overrides(args))
    _setup_logging(settings.log_level)
    try:
        event_loop.keep_to(settings.cpu_affinity)
    except OSError as exc:
        raise StartupRefused(str(exc)) from None

    async def serve() -> int:
        async with running_engine(settings, take_over=args.take_over) as engine:
            # Start-up objects live for the whole run: freeze them out of the cyclic GC, and
            # collect less often, which halves routing's p99 (docs/performance.md).
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
            log.info("HTTP API on %s; metrics at %s/metrics", engine.http_url, engine.http_url)
            signalled = asyncio.ensure_future(_until_signalled())
            lost = asyncio.ensure_future(engine.lost_lease.wait())
            await asyncio.wait({signalled, lost}, return_when=asyncio.FIRST_COMPLETED)
            signalled.cancel()
            lost.cancel()
            # Another engine took the app over: stop, and say so in the exit status.
            return 1 if engine.lost_lease.is_set() else 0

    return event_loop.run(serve(), settings.event_loop)


def _emulator(args: argparse.Namespace) -> int:
    from acd.settings import load_settings
    from acd.simulation import pbx_config_from_settings
    from emulator import serve_emulator

    settings = load_settings(args.config)
    _setup_logging(settings.log_level)
    config = pbx_config_from_settings(settings)

    async def serve() -> None:
        task = asyncio.create_task(serve_emulator(args.host, args.port, config))
        log.info("ARI emulator on http://%s:%d (user asterisk)", args.host, args.port)
        await _until_signalled()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(serve())
    return 0


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    sys.exit(main())
