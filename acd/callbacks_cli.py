"""``acd callbacks``: list, cancel and reschedule callbacks in the store of a config's
``storage.url``, for supervisors at a terminal.

    acd callbacks list [--status S] [--line L] [--due-before T] [--limit N] [--json]
    acd callbacks cancel ID --reason TEXT
    acd callbacks reschedule ID --at T

Times typed without an offset are wall-clock time in the standard calendar's zone
(Europe/Brussels), as the supervisor reads the clock; the table shows them the same way.  The
parser is in :mod:`acd.cli_parsers` (``acd --help`` must not load SQLAlchemy); this module
runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from acd.text_table import text_table

if TYPE_CHECKING:
    from acd.settings import Settings
    from callbacks.model import Callback
    from callbacks.store import CallbackStore


def callbacks_command(args: argparse.Namespace) -> int:
    """Run ``acd callbacks ...``; the exit status (0, 1 when refused, 2 for bad input)."""
    from acd.settings import STANDARD_CALENDAR, load_settings
    from foundation.errors import CallbackError

    overrides = {"storage.url": args.storage_url} if args.storage_url else {}
    settings = load_settings(Path(args.config), overrides=overrides)
    calendar = settings.calendar(STANDARD_CALENDAR)
    zone: tzinfo = calendar.timezone if calendar is not None else UTC
    try:
        out = asyncio.run(_run(args, settings, zone))
    except ValueError as exc:
        print(f"acd: {exc}", file=sys.stderr)
        return 2
    except CallbackError as exc:
        print(f"acd: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


async def _run(args: argparse.Namespace, settings: Settings, zone: tzinfo) -> str:
    from callbacks.migrate import migrate
    from callbacks.store import CallbackStore
    from foundation.clock import Clock
    from foundation.sql import require_existing_database

    # The command's composition root: on the real loop asyncio.run gives it, the hold is a
    # no-op, but the stores are wired the way the engine wires them.
    hold = Clock().hold
    url = settings.storage.url
    # A read, or a change to a callback that must already exist: never create the database.
    require_existing_database(url)
    # Idempotent, and what the engine does at start: a database made by an older version
    # lists its callbacks instead of failing on a missing column.
    await migrate(url, hold=hold)
    async with CallbackStore.open(url, hold=hold) as store:
        if args.callbacks_command == "list":
            return await _list(store, args, zone)
        now = wall_clock()  # the one clock read of this command
        if args.callbacks_command == "cancel":
            changed = await store.cancel(args.id, args.reason, now)
        else:
            changed = await _reschedule(store, settings, args.id, parse_time(args.at, zone), now)
        return render_table([changed], zone)


async def _reschedule(
    store: CallbackStore, settings: Settings, callback_id: str, at: datetime, now: datetime
) -> Callback:
    """As the API's reschedule: refused when the line's next opening is past the deadline."""
    from callbacks.schedule import reschedule_refusal
    from foundation.errors import CallbackInvalid

    found = await store.get(callback_id)
    line = None if found is None else settings.line_by_id(found.line)
    if found is not None and line is not None and at >= now:
        refusal = reschedule_refusal(settings.line_calendar(line), at, found.due_by)
        if refusal is not None:
            raise CallbackInvalid(
                callback_id, f"cannot reschedule callback {callback_id!r} to {at}: {refusal}"
            )
    return await store.reschedule(callback_id, at, now)


async def _list(store: CallbackStore, args: argparse.Namespace, zone: tzinfo) -> str:
    from callbacks.model import CallbackStatus

    if args.limit < 1:
        raise ValueError(f"--limit must be 1 or more, not {args.limit}")
    found = await store.list(
        status=CallbackStatus(args.status) if args.status else None,
        line=args.line,
        due_before=parse_time(args.due_before, zone) if args.due_before else None,
        limit=args.limit,
        line_code=args.line_code,
    )
    if args.json:
        from callbacks.http import callback_view

        now = wall_clock()
        return json.dumps({"callbacks": [callback_view(c, now) for c in found]}, indent=2)
    return render_table(found, zone)


def wall_clock() -> datetime:
    """Now, as this command reads it (tests replace it: a reschedule is judged against it)."""
    return datetime.now(UTC)


def parse_time(text: str, zone: tzinfo) -> datetime:
    """``2027-03-31T19:00`` (wall-clock time in ``zone``) or with an offset."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time (such as 2027-03-31T19:00)") from None
    at = at.replace(tzinfo=zone) if at.tzinfo is None else at
    try:
        at.astimezone(UTC)  # stored in UTC: 9999-12-31T23:59-14:00 is past the year 9999
    except OverflowError:
        raise ValueError(
            f"{text!r} is out of range: it is before year 1 or after 9999 in UTC"
        ) from None
    return at


COLUMNS = ("id", "status", "line", "line code", "number", "requested", "due by", "tries", "note")


def render_table(callbacks: Sequence[Callback], zone: tzinfo) -> str:
    """One row per callback, times in ``zone``; the note is the reason it ended, or when it
    is tried next."""
    if not callbacks:
        return "no callbacks"
    return text_table(COLUMNS, [_row(callback, zone) for callback in callbacks])


def _row(callback: Callback, zone: tzinfo) -> tuple[str, ...]:
    note = callback.reason or ""
    if callback.next_attempt_at is not None and callback.status.is_open:
        note = f"next try {_local(callback.next_attempt_at, zone)}"
    if callback.merged_count:
        note = f"{note}; asked {callback.merged_count + 1} times".lstrip("; ")
    return (
        callback.id,
        callback.status.value,
        callback.line,
        callback.line_code,
        callback.number,
        _local(callback.requested_at, zone),
        _local(callback.due_by, zone),
        str(len(callback.attempts)),
        note,
    )


def _local(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
