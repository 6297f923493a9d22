"""The supervisors' wallboard: per line and line code, who waits now and for how long, today's
offered / answered / abandoned with the answer rate against its 95% norm and the service
level (both from :mod:`sla.service_level`, the one definition), the agents by presence and
activity, and the callbacks pending and overdue.  A plain JSON-ready dict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from acd.engine.contacts import WAITING
from acd.engine.view import EngineView
from acd.today import TodayFigures
from callbacks.model import Callback, CallbackStatus
from foundation.contact import Activity, Presence
from sla.service_level import (
    ANSWER_RATE_NORM,
    SERVICE_LEVEL_THRESHOLD_S,
    answer_rate,
    service_level,
)


def wallboard(
    view: EngineView,
    today: TodayFigures,
    callbacks: Iterable[Callback],
    now: datetime,
    lines: frozenset[str] | None = None,
) -> dict[str, Any]:
    """``lines``: only these (a supervisor's); None: every line."""
    pending: Counter[tuple[str, str]] = Counter()
    overdue: Counter[tuple[str, str]] = Counter()
    for callback in callbacks:
        if callback.status is CallbackStatus.PENDING:
            key = (callback.line, callback.line_code)
            pending[key] += 1
            overdue[key] += callback.due_by <= now
    waits: dict[tuple[str, str], list[float]] = {}
    for contact in view.contacts.values():
        record = contact.record
        if contact.phase in WAITING and contact.callback is None and record.queued_at:
            key = (record.line or "", record.line_code or "")
            waits.setdefault(key, []).append((now - record.queued_at).total_seconds())
    result = []
    for line in view.config.lines:
        if lines is not None and line.id not in lines:
            continue
        codes = []
        for code in line.line_codes:
            key = (line.id, code)
            tally = today.tally(line.id, code, now)
            rate = answer_rate(tally)
            waiting = waits.get(key, [])
            codes.append(
                {
                    "line_code": code,
                    "waiting": len(waiting),
                    "longest_wait_s": max(waiting, default=0.0),
                    "offered": int(tally.offered),
                    "answered": int(tally.answered),
                    "abandoned": int(tally.abandoned),
                    "answer_rate": rate,
                    "answer_rate_ok": None if rate is None else rate >= ANSWER_RATE_NORM,
                    "service_level": service_level(tally),
                    "agents": _agents(view, code),
                    "callbacks_pending": pending[key],
                    "callbacks_overdue": overdue[key],
                }
            )
        result.append({"line": line.id, "name": line.name, "line_codes": codes})
    return {
        "at": now.isoformat(),
        "answer_rate_target": ANSWER_RATE_NORM,
        "service_level_threshold_s": SERVICE_LEVEL_THRESHOLD_S,
        "lines": result,
    }


def _agents(view: EngineView, code: str) -> dict[str, Any]:
    """The agents trained in ``code``, logged in, by presence (and not-available reason) and
    by activity."""
    presence: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    activity: Counter[str] = Counter()
    for agent in view.agents.values():
        if code not in agent.config.line_codes or agent.presence is Presence.LOGGED_OUT:
            continue
        presence[agent.presence.value] += 1
        if agent.reason is not None:
            reasons[agent.reason] += 1
        activity[agent.activity.value] += 1
    return {
        "logged_in": sum(presence.values()),
        "by_presence": {
            p.value: presence[p.value] for p in Presence if p is not Presence.LOGGED_OUT
        },
        "not_available_by_reason": dict(reasons),
        "by_activity": {a.value: activity[a.value] for a in Activity},
    }
