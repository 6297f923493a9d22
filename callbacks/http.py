"""The callbacks' HTTP routes, for supervisors: list with filters, look one up, cancel, reschedule.

    GET  /api/callbacks?status=&line=&line_code=&due_before=&limit=
    GET  /api/callbacks/{id}
    POST /api/callbacks/{id}/cancel       {"reason": "..."}
    POST /api/callbacks/{id}/reschedule   {"at": "2027-03-31T10:00:00+02:00"}

A reschedule must be from now on and before the deadline; a time outside the line's hours is
tried at the next opening, refused when that opening is past the deadline.

Refusals are raised as :class:`foundation.errors.ApiError`, which the API's middleware renders as
``{"status", "error", "message", "details"}``: the app these routes join must have it
(:func:`acd.api.create_api`'s does).  Times go out as ISO 8601 in UTC and must come in with an
offset: a naive time would mean something else on every supervisor's machine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from callbacks.api_models import MAX_LIST_LIMIT, CancelBody, RescheduleBody
from callbacks.model import Attempt, Callback, CallbackStatus
from callbacks.schedule import reschedule_refusal
from callbacks.store import DEFAULT_LIST_LIMIT, CallbackStore
from foundation.calendars import Calendar
from foundation.errors import ApiError, CallbackError, CallbackNotFound, CallbackWrongState
from foundation.json_body import parse_body

# A ready key for apps that have no reason to name their own.
CALLBACK_STORE = web.AppKey("callback_store", CallbackStore)

# Set on a request by the API's guard (acd.auth) for a supervisor: the line ids they may see.
# Absent, every line is visible.
VISIBLE_LINES = web.RequestKey[frozenset[str]]("visible_lines")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def add_callback_routes(
    app: web.Application,
    store_key: web.AppKey[CallbackStore],
    *,
    now: Callable[[], datetime] | None = None,
    calendar_of: Callable[[str], Calendar | None] | None = None,
) -> None:
    """Add the callback routes to ``app``, reading the store from ``app[store_key]`` (set it
    before the first request; in a cleanup context, say).  ``now`` is the wall clock the
    routes read, once per request (the engine's :meth:`foundation.clock.Clock.now`; default: the
    system clock).  ``calendar_of`` gives a line's calendar (by line id): with it, a reschedule
    to a time whose next opening is past the callback's deadline is refused
    (:func:`callbacks.schedule.reschedule_refusal`)."""
    clock = now or _utc_now
    routes = _Routes(store_key, clock, calendar_of or _no_calendar)
    app.router.add_get("/api/callbacks", routes.list)
    app.router.add_get("/api/callbacks/{callback_id}", routes.get)
    app.router.add_post("/api/callbacks/{callback_id}/cancel", routes.cancel)
    app.router.add_post("/api/callbacks/{callback_id}/reschedule", routes.reschedule)


def _no_calendar(line: str) -> Calendar | None:
    return None


class _Routes:
    def __init__(
        self,
        store_key: web.AppKey[CallbackStore],
        now: Callable[[], datetime],
        calendar_of: Callable[[str], Calendar | None],
    ) -> None:
        self._store_key = store_key
        self._now = now
        self._calendar_of = calendar_of

    def _store(self, request: web.Request) -> CallbackStore:
        return request.app[self._store_key]

    async def list(self, request: web.Request) -> web.Response:
        query = request.query
        status = _status(query.get("status"))
        due_before = _time(query["due_before"], "due_before") if "due_before" in query else None
        limit = _limit(query.get("limit"))
        line_code = query.get("line_code") or None
        asked = query.get("line") or None
        visible: frozenset[str] | None = request.get(VISIBLE_LINES)
        if visible is None:
            lines: list[str | None] = [asked]
        else:  # each visible line's list, merged oldest request first as the store lists them
            lines = [line for line in sorted(visible) if asked is None or line == asked]
        found: list[Callback] = []
        for line in lines:
            found += await self._store(request).list(
                status=status, line=line, due_before=due_before, limit=limit, line_code=line_code
            )
        if len(lines) > 1:
            found = sorted(found, key=lambda c: (c.requested_at, c.id))[:limit]
        now = self._now()
        return web.json_response({"callbacks": [callback_view(c, now) for c in found]})

    async def get(self, request: web.Request) -> web.Response:
        callback_id = request.match_info["callback_id"]
        found = await self._store(request).get(callback_id)
        if found is None:
            raise _not_found(callback_id)
        return web.json_response(callback_view(found, self._now()))

    async def cancel(self, request: web.Request) -> web.Response:
        callback_id = request.match_info["callback_id"]
        body = await parse_body(request, CancelBody)
        now = self._now()
        try:
            cancelled = await self._store(request).cancel(callback_id, body.reason, now)
        except CallbackError as exc:
            raise _api_error(exc) from exc
        return web.json_response(callback_view(cancelled, now))

    async def reschedule(self, request: web.Request) -> web.Response:
        callback_id = request.match_info["callback_id"]
        body = await parse_body(request, RescheduleBody)
        at = _time(body.at, "at")
        now = self._now()
        await self._check_hours(request, callback_id, at, now)
        try:
            moved = await self._store(request).reschedule(callback_id, at, now)
        except CallbackError as exc:
            raise _api_error(exc) from exc
        return web.json_response(callback_view(moved, now))

    async def _check_hours(
        self, request: web.Request, callback_id: str, at: datetime, now: datetime
    ) -> None:
        if at < now:
            return  # the store refuses it, saying it is in the past
        found = await self._store(request).get(callback_id)
        calendar = None if found is None else self._calendar_of(found.line)
        if found is None or calendar is None:
            return  # the store says it is not found, or there are no hours to check
        refusal = reschedule_refusal(calendar, at, found.due_by)
        if refusal is not None:
            raise ApiError(
                422,
                "no_opening_before_deadline",
                f"cannot reschedule callback {callback_id!r} to {at.isoformat()}: {refusal}",
                {"id": callback_id, "due_by": _iso(found.due_by)},
            )


def callback_view(callback: Callback, now: datetime) -> dict[str, Any]:
    """A callback as JSON for supervisors; ``overdue`` is judged at ``now``."""
    return {
        "id": callback.id,
        "number": callback.number,
        "line": callback.line,
        "line_code": callback.line_code,
        "contact_id": callback.contact_id,
        "status": callback.status.value,
        "requested_at": _iso(callback.requested_at),
        "due_by": _iso(callback.due_by),
        "overdue": callback.overdue(now),
        "next_attempt_at": _iso(callback.next_attempt_at),
        "priority": callback.priority,
        "merged_count": callback.merged_count,
        "agent_id": callback.agent_id,
        "reason": callback.reason,
        "claimed_by": callback.claimed_by,
        "closed_at": _iso(callback.closed_at),
        "attempts": [_attempt_view(attempt) for attempt in callback.attempts],
    }


def _attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {
        "seq": attempt.seq,
        "started_at": _iso(attempt.started_at),
        "ended_at": _iso(attempt.ended_at),
        "result": attempt.result.value if attempt.result else None,
        "agent_id": attempt.agent_id,
        "node_id": attempt.node_id,
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _api_error(exc: CallbackError) -> ApiError:
    """The store's refusal as the API error a client can act on."""
    if isinstance(exc, CallbackNotFound):
        return _not_found(exc.callback_id)
    if isinstance(exc, CallbackWrongState):
        return ApiError(409, "callback_wrong_state", str(exc), {"status": exc.status.value})
    return ApiError(422, "callback_invalid", str(exc), {"id": exc.callback_id})


def _not_found(callback_id: str) -> ApiError:
    return ApiError(404, "callback_not_found", f"no callback {callback_id!r}", {"id": callback_id})


def _status(raw: str | None) -> CallbackStatus | None:
    if not raw:
        return None
    try:
        return CallbackStatus(raw)
    except ValueError:
        allowed = [status.value for status in CallbackStatus]
        raise ApiError(
            422, "invalid_status", f"status must be one of {allowed}", {"status": raw}
        ) from None


def _time(raw: str, name: str) -> datetime:
    try:
        # "Z" is how most clients write UTC; fromisoformat reads it from Python 3.11 on.
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        at = None
    if at is not None and at.utcoffset() is not None:
        try:
            at.astimezone(UTC)  # stored in UTC: 9999-12-31T23:59-14:00 is past the year 9999
        except OverflowError:
            raise ApiError(
                422,
                "invalid_time",
                f"{name} is out of range: it is before year 1 or after 9999 in UTC",
                {name: raw},
            ) from None
    if at is None or at.utcoffset() is None:
        raise ApiError(
            422,
            "invalid_time",
            f"{name} must be an ISO 8601 time with an offset, such as 2027-03-31T10:00:00+02:00",
            {name: raw},
        )
    return at


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIST_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST_LIMIT:
        raise ApiError(
            422, "invalid_limit", f"limit must be a whole number 1-{MAX_LIST_LIMIT}", {"limit": raw}
        )
    return int(raw)
