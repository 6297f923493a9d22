"""The escalation ratings' HTTP routes: the receiving point rates an escalation, and the
reports per point and per agent.

    POST /api/escalations/{contact_id}/rating      {"point_id", "rater", "clarity",
                                                   "completeness", "correctness", "comment"?}
    GET  /api/escalation-ratings?point=&agent=&from=&to=          the ratings themselves
    GET  /api/escalation-ratings/summary?by=point|agent&point=&agent=&from=&to=

An escalation is a contact that ended escalated, by phone or by e-mail, to the point named in
the body (its contact record says so); anything else is refused, 404 for an unknown contact,
409 for one not escalated (yet) or escalated to another point.  The same rater posting again
for the same escalation replaces their rating (200; 201 the first time): a rater may correct
themselves, and a retried request is harmless.  ``from``/``to`` are ISO times (without an
offset: Europe/Brussels), ``from`` included, ``to`` not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from acd.api_models.ratings import RatingBody
from escalations import TIMEZONE
from escalations.ratings import (
    Channel,
    Group,
    Rating,
    RatingFilter,
    RatingStore,
    RatingSummary,
    Scores,
)
from foundation.contact import ContactRecord, Outcome
from foundation.errors import ApiError
from foundation.json_body import parse_body

_CHANNELS = {Outcome.ESCALATED_PHONE: Channel.PHONE, Outcome.ESCALATED_EMAIL: Channel.EMAIL}


def add_escalation_rating_routes(
    app: web.Application,
    store: RatingStore,
    *,
    find_contact: Callable[[str], Awaitable[ContactRecord | None]],
    now: Callable[[], datetime],
    on_rated: Callable[[list[RatingSummary]], None] = lambda summaries: None,
) -> None:
    """Add the routes to ``app`` (an app of :func:`acd.api.create_api`, for its error
    middleware).  ``find_contact`` reads a contact record (the contact store's ``get``);
    ``now`` is the engine's wall clock; ``on_rated`` hears the rated point's new summary (the
    metrics' gauges)."""
    routes = _Routes(store, find_contact, now, on_rated)
    app.router.add_post("/api/escalations/{contact_id}/rating", routes.rate)
    app.router.add_get("/api/escalation-ratings", routes.list)
    app.router.add_get("/api/escalation-ratings/summary", routes.summary)


class _Routes:
    def __init__(
        self,
        store: RatingStore,
        find_contact: Callable[[str], Awaitable[ContactRecord | None]],
        now: Callable[[], datetime],
        on_rated: Callable[[list[RatingSummary]], None],
    ) -> None:
        self._store = store
        self._find_contact = find_contact
        self._now = now
        self._on_rated = on_rated

    async def rate(self, request: web.Request) -> web.Response:
        contact_id = request.match_info["contact_id"]
        body = await parse_body(request, RatingBody)
        point_id, rater, comment = body.point_id, body.rater, body.comment
        scores = Scores(
            clarity=body.clarity, completeness=body.completeness, correctness=body.correctness
        )
        record = await self._escalation(contact_id, point_id)
        outcome = record.outcome
        assert outcome is not None  # _escalation checked it is an escalated one
        rating = Rating(
            contact_id=contact_id,
            point_id=point_id,
            rater=rater,
            scores=scores,
            comment=comment,
            agent_id=record.agent_id or "",
            line_code=record.line_code or "",
            channel=_CHANNELS[outcome],
            rated_at=self._now(),
        )
        created = await self._store.put(rating)
        self._on_rated(await self._store.summary(Group.POINT, RatingFilter(point_id=point_id)))
        return web.json_response(
            {**rating_view(rating), "created": created}, status=201 if created else 200
        )

    async def list(self, request: web.Request) -> web.Response:
        found = await self._store.list(_filter(request))
        return web.json_response({"ratings": [rating_view(r) for r in found]})

    async def summary(self, request: web.Request) -> web.Response:
        by = request.query.get("by", Group.POINT.value)
        try:
            group = Group(by)
        except ValueError:
            raise ApiError(
                422, "invalid_query", f"by: {by!r} is not one of point, agent", {"key": "by"}
            ) from None
        found = await self._store.summary(group, _filter(request))
        return web.json_response({"by": group.value, "summaries": [summary_view(s) for s in found]})

    async def _escalation(self, contact_id: str, point_id: str) -> ContactRecord:
        record = await self._find_contact(contact_id)
        if record is None:
            raise ApiError(
                404, "contact_not_found", f"no contact {contact_id!r}", {"contact_id": contact_id}
            )
        details = {"contact_id": contact_id, "point_id": point_id}
        if record.outcome not in _CHANNELS:
            state = "is still in progress" if record.outcome is None else f"ended {record.outcome}"
            raise ApiError(
                409,
                "not_escalated",
                f"contact {contact_id!r} {state}: only a contact that ended escalated is rated",
                details,
            )
        if record.escalation_point != point_id:
            raise ApiError(
                409,
                "escalated_elsewhere",
                f"contact {contact_id!r} was escalated to {record.escalation_point!r},"
                f" not to {point_id!r}",
                details,
            )
        return record


def rating_view(rating: Rating) -> dict[str, Any]:
    return {
        "contact_id": rating.contact_id,
        "point_id": rating.point_id,
        "rater": rating.rater,
        "clarity": rating.scores.clarity,
        "completeness": rating.scores.completeness,
        "correctness": rating.scores.correctness,
        "comment": rating.comment,
        "agent_id": rating.agent_id,
        "line_code": rating.line_code,
        "channel": rating.channel.value,
        "rated_at": rating.rated_at.isoformat(),
    }


def summary_view(summary: RatingSummary) -> dict[str, Any]:
    return {
        "key": summary.key,
        "count": summary.count,
        "averages": {c.value: round(v, 2) for c, v in summary.averages.items()},
    }


def _filter(request: web.Request) -> RatingFilter:
    query = request.query
    return RatingFilter(
        point_id=query.get("point") or None,
        agent_id=query.get("agent") or None,
        since=_moment(query, "from"),
        until=_moment(query, "to"),
    )


def _moment(query: Any, key: str) -> datetime | None:
    text = query.get(key)
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(
            422,
            "invalid_query",
            f"{key}: {text!r} is not a date and time (such as 2022-12-12T10:00)",
            {"key": key},
        ) from None
    return at.replace(tzinfo=TIMEZONE) if at.tzinfo is None else at
