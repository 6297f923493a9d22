"""Call recordings over HTTP: record on demand, list, read one, hold past retention.

    POST /api/agents/{agent_id}/record       a supervisor: record this agent's call from now
    GET  /api/recordings?agent=&line_code=&date=   recordings started that day (Brussels)
    GET  /api/recordings/{name}              one recording's metadata and quality scores
    POST /api/recordings/{name}/hold         a supervisor: keep it past the line's retention

Who sees a recording: admins and tokens every one; a supervisor those of the lines they
supervise; a ``reporting`` user those of their service's lines (the user's ``lines``).  A
recording of another service is 403 ``not_your_line``, a line code of one in the query too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from acd.api import RUNTIME
from acd.auth.keys import PRINCIPAL, VISIBLE_LINES
from acd.auth.model import Role, Via
from acd.engine import inputs as inp
from acd.engine.commands import RecordingStep
from acd.quality.recordings import RecordingStore
from acd.quality.scores import ScoreStore
from foundation.errors import ApiError

BRUSSELS = ZoneInfo("Europe/Brussels")
RECORDINGS = web.AppKey("recordings", RecordingStore)
LINES_OF_CODE = web.AppKey[dict[str, set[str]]]("recording_line_codes")  # code -> its lines
NOW = web.AppKey[Callable[[], datetime]]("recording_now")
SCORES = web.AppKey("recording_scores", ScoreStore)  # set by acd.listening_routes


async def record(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    request.app[RUNTIME].submit(inp.RecordRequested(agent_id))
    return web.json_response({"agent_id": agent_id, "recording": "started"})


async def list_recordings(request: web.Request) -> web.Response:
    query = request.query
    visible = _visible_lines(request)
    code = query.get("line_code") or None
    if code is not None and visible is not None:
        lines = request.app[LINES_OF_CODE].get(code, set())
        if lines and not lines & visible:
            raise _not_yours(f"line code {code!r} is another service's")
    day = _day(query.get("date"), request)
    start = datetime.combine(day, time(0), BRUSSELS)
    found = await request.app[RECORDINGS].between(start, start + timedelta(days=1))
    agent = query.get("agent") or None
    shown = [
        _view(step)
        for step in found
        if (visible is None or step.line in visible)
        and (agent is None or step.agent_id == agent)
        and (code is None or step.line_code == code)
    ]
    scores = request.app.get(SCORES)
    if scores is not None:  # how many scored each (acd.listening_routes)
        counted = await scores.counts(view["name"] for view in shown)
        for view in shown:
            view["scored"] = counted.get(view["name"], 0)
    return web.json_response({"recordings": shown})


async def get_recording(request: web.Request) -> web.Response:
    step, held, deleted_at = await visible_recording(request)
    view = _view(step, held, deleted_at)
    scores = request.app.get(SCORES)
    if scores is not None:
        view["scores"] = [given.view() for given in await scores.of_recording(step.name)]
    return web.json_response(view)


async def hold(request: web.Request) -> web.Response:
    step, _, deleted_at = await visible_recording(request)
    await request.app[RECORDINGS].hold(step.name)
    return web.json_response(_view(step, True, deleted_at))


async def visible_recording(
    request: web.Request,
) -> tuple[RecordingStep, bool, datetime | None]:
    name = request.match_info["name"]
    found = await request.app[RECORDINGS].get(name)
    if found is None:
        raise ApiError(404, "recording_not_found", f"no recording {name!r}", {"name": name})
    visible = _visible_lines(request)
    if visible is not None and found[0].line not in visible:
        raise _not_yours(f"recording {name!r} is of another service's line")
    return found


def _visible_lines(request: web.Request) -> frozenset[str] | None:
    """The lines whose recordings this caller may see (None: all)."""
    who = request.get(PRINCIPAL)
    if who is None or who.via is Via.TOKEN or who.role is Role.ADMIN:
        return None
    lines: frozenset[str] = who.lines  # reporting: their service's lines
    if who.role is Role.SUPERVISOR:
        lines = request.get(VISIBLE_LINES, who.lines)
    return lines


def _not_yours(message: str) -> ApiError:
    return ApiError(403, "not_your_line", message)


def _day(text: str | None, request: web.Request) -> date:
    if not text:
        return request.app[NOW]().astimezone(BRUSSELS).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(
            422, "invalid_query", f"date: {text!r} is not a date (YYYY-MM-DD)", {"key": "date"}
        ) from None


def _view(
    step: RecordingStep, held: bool | None = None, deleted_at: datetime | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": step.name,
        "contact_id": step.contact_id,
        "agent_id": step.agent_id,
        "line": step.line,
        "line_code": step.line_code,
        "format": step.format,
        "file": f"{step.name}.{step.format}",
        "started_at": step.started_at.isoformat(),
        "ended_at": step.ended_at.isoformat() if step.ended_at else None,
        "on_demand": step.on_demand,
    }
    if held is not None:
        view["held"] = held
        view["deleted_at"] = deleted_at.isoformat() if deleted_at else None
    return view


def add_recording_routes(
    app: web.Application,
    store: RecordingStore,
    line_codes: Mapping[str, set[str]],
    now: Callable[[], datetime],
) -> None:
    app[RECORDINGS] = store
    app[LINES_OF_CODE] = dict(line_codes)
    app[NOW] = now
    app.router.add_post("/api/agents/{agent_id}/record", record)
    app.router.add_get("/api/recordings", list_recordings)
    app.router.add_get("/api/recordings/{name}", get_recording)
    app.router.add_post("/api/recordings/{name}/hold", hold)
