"""What an agent's own page reads: the contact offered, in progress or in wrap-up, and the
agent's figures today.  Plain JSON-ready dicts from the read-only :class:`EngineView`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from acd.engine.agent_time import day_start, presence_key
from acd.engine.view import AgentView, EngineView
from foundation.contact import Activity, ContactRecord, Presence, handling, staffed

_STATE = {
    Activity.RESERVED: "ringing",
    Activity.RINGING: "ringing",
    Activity.ON_CALL: "talking",
    Activity.WRAP_UP: "wrap_up",
}


def agent_contact(view: EngineView, agent: AgentView, now: datetime) -> dict[str, Any] | None:
    """The agent's offer, call in progress or call in wrap-up; None when there is none."""
    state = _STATE.get(agent.activity)
    if state is None:
        return None
    callback_number: str | None = None
    callback_id: str | None = None
    virtual_hold = False
    if state == "wrap_up":
        if agent.handled is None:
            return None
        record = agent.handled.record
        since = agent.handled.since
        callback_number = agent.handled.callback_number
        callback_id = agent.handled.callback_id
        virtual_hold = agent.handled.virtual_hold
    else:
        contact = view.contacts.get(agent.contact_id or "")
        if contact is None:
            return None
        record = contact.record
        if contact.callback is not None:
            callback_number = contact.callback.number
            callback_id = contact.callback.callback_id
            rule = contact.line.callbacks if contact.line is not None else None
            virtual_hold = rule is not None and rule.virtual_hold
        if state == "talking":
            since = record.answered_at or now
        else:
            since = record.offers[-1].offered_at if record.offers else now
    return {
        "contact_id": record.id,
        "state": state,
        "caller_number": record.caller_number,
        "line": record.line,
        "line_code": record.line_code,
        "waited_s": _waited(record, now),
        "callback": (
            None
            if callback_number is None
            # original_wait_s: filled in by the API from the call the callback was asked in.
            else {"number": callback_number, "callback_id": callback_id, "original_wait_s": None}
        ),
        "virtual_hold": virtual_hold,
        "since": since.isoformat(),
        "contact_reasons": list(view.config.contact_reasons.get(record.line_code or "", ())),
        "closed": agent.closed_contact_id == record.id or record.registration is not None,
    }


def _waited(record: ContactRecord, now: datetime) -> float | None:
    if record.queued_at is None:
        return None
    end = record.answered_at or record.ended_at or now
    return max(0.0, (end - record.queued_at).total_seconds())


def agent_today(agent: AgentView, now: datetime) -> dict[str, Any]:
    """The agent's own figures today (Europe/Brussels): contacts, average handling time (talk
    plus wrap-up per contact), seconds per presence (``not_available:<reason>``), and
    occupancy: handling seconds (on a call or in its wrap-up) over staffed seconds (logged in
    and not on a break)."""
    start = day_start(now)
    of_today = agent.stats_day == start.date()
    contacts = agent.contacts_today if of_today else 0
    talk = agent.talk_time_today_s if of_today else 0.0
    wrap = agent.wrap_up_today_s if of_today else 0.0
    seconds = dict(agent.presence_seconds_today) if of_today else {}
    if agent.presence is not Presence.LOGGED_OUT and agent.presence_since is not None:
        key = presence_key(agent.presence, agent.reason)
        running = (now - max(agent.presence_since, start)).total_seconds()
        seconds[key] = seconds.get(key, 0.0) + max(0.0, running)
    staffed_s = agent.staffed_today_s if of_today else 0.0
    handling_s = agent.handling_today_s if of_today else 0.0
    if agent.state_since is not None:
        running = max(0.0, (now - max(agent.state_since, start)).total_seconds())
        staffed_s += running if staffed(agent.presence, agent.activity) else 0.0
        handling_s += running if handling(agent.presence, agent.activity) else 0.0
    return {
        "agent_id": agent.id,
        "day": start.date().isoformat(),
        "contacts": contacts,
        "talk_time_s": talk,
        "wrap_up_s": wrap,
        "average_handling_time_s": (talk + wrap) / contacts if contacts else None,
        "presence_seconds": seconds,
        # Occupancy as the report and the metrics have it (docs/sla.md).
        "staffed_s": staffed_s,
        "handling_s": handling_s,
        "occupancy": handling_s / staffed_s if staffed_s > 0 else None,
    }
