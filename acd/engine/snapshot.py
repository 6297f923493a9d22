"""Read-only views of the engine core for the HTTP API: plain JSON-ready dicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from acd.engine.contacts import WAITING
from acd.engine.view import AgentView, ContactView, EngineView
from foundation.contact import Activity, Presence


def agent_view(agent: AgentView, now: datetime) -> dict[str, Any]:
    idle_s = (
        (now - agent.idle_since).total_seconds()
        if agent.idle_since and agent.activity is Activity.IDLE
        else None
    )
    return {
        "id": agent.id,
        "name": agent.config.name,
        "endpoint": agent.config.endpoint,
        "line_codes": dict(agent.config.line_codes),
        "presence": agent.presence.value,
        "reason": agent.reason,
        "presence_since": agent.presence_since.isoformat() if agent.presence_since else None,
        "activity": agent.activity.value,
        "idle_seconds": idle_s,
        "contact_id": agent.contact_id,
    }


def contact_view(
    contact: ContactView, now: datetime, view: EngineView | None = None
) -> dict[str, Any]:
    record = contact.record
    step: int | None = None
    next_step_in: float | None = None
    if view is not None and contact.routed:
        step, next_at = view.routing_step(contact.id, now)
        next_step_in = None if next_at is None else max(0.0, next_at - now.timestamp())
    return {
        "id": record.id,
        "line": record.line,
        "line_code": record.line_code,
        "caller_number": record.caller_number,
        "phase": contact.phase.value,
        "arrived_at": record.arrived_at.isoformat(),
        "waiting_seconds": (now - record.queued_at).total_seconds() if record.queued_at else None,
        "agent_id": contact.agent_id,
        "offers": len(record.offers),
        "priority": contact.priority,
        "step": step,  # the routing step it is at (0 = the line code's first)
        "next_step_in_seconds": next_step_in,  # None after the last step
    }


def agents_snapshot(view: EngineView, now: datetime) -> list[dict[str, Any]]:
    return [agent_view(a, now) for a in view.agents.values()]


def queues_snapshot(view: EngineView, now: datetime) -> list[dict[str, Any]]:
    """One entry per line code: who waits (oldest first) and which agents could serve it."""
    codes = sorted({code for line in view.config.lines for code in line.line_codes})
    result = []
    for code in codes:
        waiting = sorted(
            (
                c
                for c in view.contacts.values()
                if c.record.line_code == code and c.phase in WAITING
            ),
            key=lambda c: (c.record.queued_at or now, c.seq),
        )
        skilled = [a for a in view.agents.values() if code in a.config.line_codes]
        result.append(
            {
                "line_code": code,
                "waiting": len(waiting),
                "longest_wait_seconds": (
                    (now - waiting[0].record.queued_at).total_seconds()
                    if waiting and waiting[0].record.queued_at
                    else 0.0
                ),
                "contacts": [contact_view(c, now, view) for c in waiting],
                "agents_logged_in": sum(a.presence is not Presence.LOGGED_OUT for a in skilled),
                "agents_available": sum(a.presence is Presence.AVAILABLE for a in skilled),
                "agents_idle": sum(a.can_take(code) for a in skilled),
            }
        )
    return result
