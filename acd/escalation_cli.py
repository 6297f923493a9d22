"""``acd escalation``: the escalation points in the store of a config's ``storage.url``, and
whether a phone transfer to one is possible at a moment.

    acd escalation list [--line-code CODE] [--json]
    acd escalation check ID [--at 2022-12-12T10:00]

Like the engine at start, the command first brings the store up to date and adds the points of
``escalation_points.yaml`` it does not hold yet, so a fresh deployment shows the configured
points; points edited through the API are shown as edited.  Points are shown as they stand on
the day (scheduled changes due applied, ended deviations gone).  Times without an offset are
Europe/Brussels wall-clock time.  The parser is in :mod:`acd.cli_parsers`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from acd.text_table import text_table

if TYPE_CHECKING:
    from acd.settings import Settings
    from escalations import EscalationPoint, TransferCheck


def escalation_command(args: argparse.Namespace) -> int:
    """Run ``acd escalation ...``: 0 when answered, 1 for an unknown point, 2 for bad input."""
    from acd.settings import load_settings

    overrides = {"storage.url": args.storage_url} if args.storage_url else {}
    settings = load_settings(Path(args.config), overrides=overrides)
    try:
        at = _moment(getattr(args, "at", None))
        code, out = asyncio.run(_run(args, settings.storage.url, settings, at))
    except ValueError as exc:
        print(f"acd: {exc}", file=sys.stderr)
        return 2
    print(out, file=sys.stdout if code == 0 else sys.stderr)
    return code


async def _run(
    args: argparse.Namespace, url: str, settings: Settings, at: datetime
) -> tuple[int, str]:
    from escalations import SqlEscalationStore, as_of, check_transfer, migrate
    from escalations.codec import to_data
    from escalations.rules import local_day
    from foundation.clock import Clock
    from foundation.sql import require_existing_database

    hold = Clock().hold
    require_existing_database(url)  # a read command never creates the database
    await migrate(url, hold=hold)
    async with SqlEscalationStore.open(url, hold=hold) as store:
        await store.seed(settings.escalation_point_models())
        day = local_day(at)
        if args.escalation_command == "list":
            points = [as_of(p, day) for p in await store.list()]
            if args.line_code:
                points = [p for p in points if args.line_code in p.line_codes]
            if args.json:
                return 0, json.dumps({"escalation_points": [to_data(p) for p in points]}, indent=2)
            return 0, render_table(points)
        point = await store.get(args.id)
        if point is None:
            return 1, f"acd: no escalation point {args.id!r}"
        return 0, render_check(as_of(point, day), check_transfer(point, at), at)


def _moment(text: str | None) -> datetime:
    from escalations import TIMEZONE

    if text is None:
        return datetime.now(UTC)  # the one clock read of this command
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time (such as 2022-12-12T10:00)") from None
    return at.replace(tzinfo=TIMEZONE) if at.tzinfo is None else at


COLUMNS = ("id", "title", "phone", "transfer", "e-mail", "line codes")


def render_table(points: Sequence[EscalationPoint]) -> str:
    if not points:
        return "no escalation points"
    return text_table(COLUMNS, [_row(point) for point in points])


def _row(point: EscalationPoint) -> tuple[str, ...]:
    transfer = "yes" if point.transfer_allowed else "no"
    email = point.email or "-"
    if point.email is not None and not point.email_allowed:
        email += " (not for questions)"
    return (
        point.id,
        point.public_title,
        point.phone or "-",
        transfer,
        email,
        ", ".join(point.line_codes),
    )


def render_check(point: EscalationPoint, check: TransferCheck, at: datetime) -> str:
    from escalations import TIMEZONE

    local = at.astimezone(TIMEZONE)
    verdict = "possible" if check.possible else f"not possible ({check.reason})"
    lines = [
        f"{point.id} ({point.public_title}) at {local:%a %Y-%m-%d %H:%M %Z}: phone transfer"
        f" {verdict}",
        f"  {check.message}",
    ]
    if check.deviation_text:
        lines.append(f"  for the caller: {check.deviation_text}")
    if check.weekly:
        slots = [f"{day} {', '.join(s)}" for day, s in check.weekly.items() if s]
        lines.append(f"  slots: {'; '.join(slots) or 'none'}")
    if point.phone:
        lines.append(f"  number: {point.phone} ({point.phone_e164})")
    return "\n".join(lines)
