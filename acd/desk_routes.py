"""The agent's desk and the supervisors' wallboard (issue 13): the agent's contact and its
registration ("close contact"), the agent's figures today, the presence reasons, the wallboard.

Every route is in :mod:`acd.auth.policy`; the guard has decided who may call it before a
handler runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from acd.api import CLOCK, RUNTIME
from acd.api_models.desk import CloseContactBody
from acd.auth.keys import VISIBLE_LINES
from acd.engine import inputs as inp
from acd.engine.desk import agent_contact, agent_today
from acd.records.store import ContactStore
from acd.today import TodayFigures
from acd.wallboard import wallboard
from callbacks.http import CALLBACK_STORE
from callbacks.model import CallbackStatus
from foundation.errors import ApiError, UnknownAgent
from foundation.json_body import parse_body

TODAY = web.AppKey("today_figures", TodayFigures)
CONTACTS = web.AppKey("contact_store", ContactStore)
PRESENCE_REASONS = web.AppKey[tuple[str, ...]]("presence_reasons")  # in the configured order
MISSED_REASON = web.AppKey("missed_reason", str)


async def get_contact(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    view = request.app[RUNTIME].view
    agent = view.agents.get(agent_id)
    if agent is None:
        raise UnknownAgent(agent_id)
    found = agent_contact(view, agent, request.app[CLOCK].now())
    if found is None:
        raise ApiError(404, "no_contact", f"agent {agent_id} has no offer, call or wrap-up now")
    callback = found["callback"]
    if callback is not None and callback["callback_id"] is not None:
        callback["original_wait_s"] = await _original_wait(request, callback["callback_id"])
    return web.json_response(found)


async def _original_wait(request: web.Request, callback_id: str) -> float | None:
    """How long the citizen waited in the call in which they asked for the callback (None for
    a callback made by hand, or a call no longer on record)."""
    stored = await request.app[CALLBACK_STORE].get(callback_id)
    if stored is None or stored.contact_id is None:
        return None
    asked_in = await request.app[CONTACTS].get(stored.contact_id)
    return None if asked_in is None else asked_in.wait_seconds


async def close_contact(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    body = await parse_body(request, CloseContactBody)
    runtime = request.app[RUNTIME]
    view = runtime.view
    agent = view.agents.get(agent_id)
    if agent is None:
        raise UnknownAgent(agent_id)
    before = agent_contact(view, agent, request.app[CLOCK].now())
    runtime.submit(inp.CloseContact(agent_id, body.note, body.reason, tuple(body.links)))
    return web.json_response(
        {
            "contact_id": before["contact_id"] if before else None,
            "closed": True,
            "activity": agent.activity.value,  # idle once a wrap-up is closed
        }
    )


async def get_today(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    agent = request.app[RUNTIME].view.agents.get(agent_id)
    if agent is None:
        raise UnknownAgent(agent_id)
    return web.json_response(agent_today(agent, request.app[CLOCK].now()))


async def presence_reasons(request: web.Request) -> web.Response:
    reasons: tuple[str, ...] = request.app[PRESENCE_REASONS]
    return web.json_response(
        {
            "reasons": list(reasons),
            # Set by the engine when a call rings out on an agent, not chosen.
            "missed_reason": request.app[MISSED_REASON],
        }
    )


async def get_wallboard(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    pending = await request.app[CALLBACK_STORE].list(status=CallbackStatus.PENDING, limit=100_000)
    board = wallboard(
        request.app[RUNTIME].view, request.app[TODAY], pending, now, request.get(VISIBLE_LINES)
    )
    return web.json_response(board)


def add_desk_routes(
    app: web.Application,
    contacts: ContactStore,
    today: TodayFigures,
    presence_reasons_configured: Sequence[str],
    missed_reason: str,
) -> None:
    """Register the desk and wallboard routes; the app needs :data:`CALLBACK_STORE` set."""
    app[TODAY] = today
    app[CONTACTS] = contacts
    app[PRESENCE_REASONS] = tuple(presence_reasons_configured)
    app[MISSED_REASON] = missed_reason
    agent = "/api/agents/{agent_id}"
    app.router.add_get(agent + "/contact", get_contact)
    app.router.add_post(agent + "/contact/close", close_contact)
    app.router.add_get(agent + "/today", get_today)
    app.router.add_get("/api/presence-reasons", presence_reasons)
    app.router.add_get("/api/wallboard", get_wallboard)
