"""``acd report``: a report from the contact records of a config's ``storage.url``.

    acd report --from DATE --to DATE [--interval 30m|1h|1d|1w|1mo]
               [--format csv|html|xlsx] [--out FILE] [--table NAME]
    acd report schedule list [--json]

The parser is in :mod:`acd.cli_parsers` (``acd --help`` must not load SQLAlchemy).  Bad
dates and options exit with status 2 and one line naming the option, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from acd.reports.period import ReportError, parse_period
from acd.settings import Settings, load_settings
from foundation.clock import Clock


def report_command(args: argparse.Namespace) -> int:
    overrides = {"storage.url": args.storage_url} if args.storage_url else {}
    settings = load_settings(Path(args.config), overrides=overrides)
    try:
        if args.report_command == "schedule":
            print(asyncio.run(schedule_list(settings, as_json=args.json)))
            return 0
        return _report(args, settings)
    except ReportError as exc:
        print(f"acd report: {exc}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        # The URL without its password, and the error's first line: never a traceback.
        where = make_url(settings.storage.url).render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"acd report: cannot read the database {where}: {reason}", file=sys.stderr)
        return 1


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from acd.reports.render_csv import table_csv, write_csv
    from acd.reports.render_html import html_text
    from acd.reports.render_xlsx import xlsx_bytes

    if args.start is None or args.end is None:
        raise ReportError(
            "--from and --to are required (such as --from 2027-03-01 --to 2027-03-31)"
        )
    period = parse_period(args.start, args.end, args.interval)
    out: Path | None = args.out
    if args.format == "xlsx" and out is None:
        raise ReportError("--format xlsx writes a file: give --out FILE")
    if args.table is not None and args.format != "csv":
        raise ReportError("--table is for --format csv; html and xlsx hold every table")
    if out is not None and not out.parent.is_dir():
        raise ReportError(f"--out {out}: the folder {out.parent} does not exist")
    from acd.reports.load import report_for

    # The one place `acd report` reads the wall clock: the "made at" line.
    report = asyncio.run(report_for(settings, period, made_at=datetime.now(UTC), hold=Clock().hold))
    if args.format == "html":
        _emit(html_text(report), out)
    elif args.format == "xlsx":
        assert out is not None
        out.write_bytes(xlsx_bytes(report))
    elif out is None:
        print(table_csv(report.table(args.table or "operational")), end="")
    else:
        for path in write_csv(report, out, args.table):
            print(path)
    return 0


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")


async def schedule_list(settings: Settings, *, as_json: bool) -> str:
    from acd.records import migrate
    from acd.reports.runs import ReportRunStore
    from acd.reports.schedule import schedules_of
    from acd.text_table import text_table

    schedules = schedules_of(settings)
    if not schedules:
        return "no report schedules (acd.yaml reports.schedules)"
    hold = Clock().hold
    await migrate(settings.storage.url, hold=hold)
    async with ReportRunStore.open(settings.storage.url, hold=hold) as runs:
        rows = []
        for schedule in schedules:
            last = await runs.last_end(schedule.name)
            rows.append(schedule.describe(last, now=datetime.now(UTC)))
    if as_json:
        return json.dumps(rows, indent=2)
    header = tuple(rows[0])
    return text_table(header, [tuple(str(v) for v in row.values()) for row in rows])
