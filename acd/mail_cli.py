"""``acd escalation outbox``: the escalation mails waiting or failed in the store of a config's
``storage.url``, for supervisors and operators at a terminal.

    acd escalation outbox [--status S ...] [--limit N] [--json]

Without ``--status`` every mail not delivered yet is listed (pending, sending, retrying and
given_up); ``--status delivered`` shows the delivered ones.  Times are Europe/Brussels
wall-clock time.  The parser is in :mod:`acd.cli_parsers` (``acd --help`` must not load
SQLAlchemy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acd.text_table import text_table

if TYPE_CHECKING:
    from escalations.mail import Mail

NOT_DELIVERED = ("pending", "sending", "retrying", "given_up")


def outbox_command(args: argparse.Namespace) -> int:
    """Run ``acd escalation outbox``; the exit status (0, or 2 for bad input)."""
    from acd.settings import STANDARD_CALENDAR, load_settings

    overrides = {"storage.url": args.storage_url} if args.storage_url else {}
    settings = load_settings(Path(args.config), overrides=overrides)
    calendar = settings.calendar(STANDARD_CALENDAR)
    zone: tzinfo = calendar.timezone if calendar is not None else UTC
    if args.limit < 1:
        print(f"acd: --limit must be 1 or more, not {args.limit}", file=sys.stderr)
        return 2
    print(asyncio.run(_outbox(args, settings.storage.url, zone)))
    return 0


async def _outbox(args: argparse.Namespace, url: str, zone: tzinfo) -> str:
    from escalations.mail import MailOutboxStore, MailStatus, migrate
    from foundation.clock import Clock
    from foundation.sql import require_existing_database

    hold = Clock().hold
    require_existing_database(url)  # a read command never creates the database
    # Idempotent, and what the engine does at start: a database made by an older version
    # lists its mails instead of failing on a missing table.
    await migrate(url, hold=hold)
    statuses = [MailStatus(s) for s in (args.status or NOT_DELIVERED)]
    async with MailOutboxStore.open(url, hold=hold) as store:
        found = await store.list(statuses=statuses, limit=args.limit)
    if args.json:
        return json.dumps({"mails": [mail_view(mail) for mail in found]}, indent=2)
    return render_table(found, zone)


def mail_view(mail: Mail) -> dict[str, Any]:
    """A mail as JSON (without its body, which holds the caller's question)."""

    def at(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "id": mail.id,
        "request_key": mail.request_key,
        "point_id": mail.point_id,
        "via": mail.via.value,
        "address": mail.address,
        "subject": mail.subject,
        "contact_id": mail.contact_id,
        "agent_id": mail.agent_id,
        "status": mail.status.value,
        "attempts": mail.attempts,
        "last_error": mail.last_error,
        "next_attempt_at": at(mail.next_attempt_at) if mail.status.is_waiting else None,
        "created_at": at(mail.created_at),
        "delivered_at": at(mail.delivered_at),
    }


COLUMNS = ("id", "status", "point", "to", "stored", "tries", "note")


def render_table(mails: Sequence[Mail], zone: tzinfo) -> str:
    """One row per mail; the note is when it is tried next and the last error."""
    if not mails:
        return "no escalation mails waiting or failed"
    return text_table(COLUMNS, [_row(mail, zone) for mail in mails])


def _row(mail: Mail, zone: tzinfo) -> tuple[str, ...]:
    notes = []
    if mail.status.is_waiting and mail.next_attempt_at is not None:
        notes.append(f"next try {_local(mail.next_attempt_at, zone)}")
    if mail.delivered_at is not None:
        notes.append(f"delivered {_local(mail.delivered_at, zone)}")
    if mail.last_error:
        notes.append(mail.last_error.replace("\n", " "))
    return (
        mail.id,
        mail.status.value,
        mail.point_id,
        mail.address or mail.via.value,
        _local(mail.created_at, zone),
        str(mail.attempts),
        "; ".join(notes),
    )


def _local(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
