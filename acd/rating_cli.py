"""``acd escalation ratings``: how the escalation points rated the escalations they received,
per point and per agent (counts and each criterion's average), from the store of a config's
``storage.url``.

    acd escalation ratings [--point ID] [--agent ID] [--json]

The parser is in :mod:`acd.cli_parsers` (``acd --help`` must not load SQLAlchemy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acd.text_table import text_table

if TYPE_CHECKING:
    from escalations.ratings import RatingSummary

GROUPS = ("point", "agent")


def ratings_command(args: argparse.Namespace) -> int:
    """Run ``acd escalation ratings``: always 0 (no ratings is an answer too)."""
    from acd.settings import load_settings

    overrides = {"storage.url": args.storage_url} if args.storage_url else {}
    settings = load_settings(Path(args.config), overrides=overrides)
    print(asyncio.run(_report(args, settings.storage.url)))
    return 0


async def _report(args: argparse.Namespace, url: str) -> str:
    from escalations import migrate
    from escalations.ratings import Group, RatingFilter, SqlRatingStore
    from foundation.clock import Clock

    hold = Clock().hold
    # Idempotent, and what the engine does at start: a fresh deployment reports no ratings
    # instead of failing on a missing table.
    await migrate(url, hold=hold)
    where = RatingFilter(point_id=args.point, agent_id=args.agent)
    async with SqlRatingStore.open(url, hold=hold) as store:
        found = {group: await store.summary(Group(group), where) for group in GROUPS}
    if args.json:
        return json.dumps({f"by_{g}": [_view(s) for s in found[g]] for g in GROUPS}, indent=2)
    return "\n\n".join(render_table(group, found[group]) for group in GROUPS)


def _view(summary: RatingSummary) -> dict[str, Any]:
    return {
        "key": summary.key,
        "count": summary.count,
        "averages": {c.value: round(v, 2) for c, v in summary.averages.items()},
    }


def render_table(group: str, summaries: Sequence[RatingSummary]) -> str:
    from escalations.ratings import Criterion

    if not summaries:
        return f"by {group}: no ratings"
    header = (group, "ratings", *(c.value for c in Criterion))
    rows = [(s.key, str(s.count), *(f"{s.averages[c]:.2f}" for c in Criterion)) for s in summaries]
    return f"by {group}:\n{text_table(header, rows)}"
