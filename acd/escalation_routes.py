"""The escalation points' HTTP routes: editing the points, what an agent may do with them for
the call they are on, and the phone transfer itself.

    GET    /api/escalation-points?line_code=      the points as they stand today
    GET    /api/escalation-points/{id}
    POST   /api/escalation-points                 a point, as in escalation_points.yaml
    PUT    /api/escalation-points/{id}            the whole point again (as GET gives it)
    DELETE /api/escalation-points/{id}
    GET    /api/agents/{agent_id}/escalations     the points of the agent's call's line code
                                                  (during the call or its wrap-up)
    GET    /api/agents/{agent_id}/escalations/{point_id}/email-preview?note=
                                                  the point's e-mail template filled in
    POST   /api/agents/{agent_id}/transfer        {"point_id": ...}: transfer by phone, now
    POST   /api/agents/{agent_id}/escalate-email  {"point_id", "note", "request_key",
                                                  "body"?}: the question to the point by
                                                  e-mail (or CRM), the text maybe edited

E-mail escalation is open during the call and during its wrap-up (the agent may write the
question down after the caller hung up); a transfer by phone only during the call.

A point is read as it stands today (:func:`escalations.rules.as_of`: due scheduled changes
applied, deviating dates that ended gone), so a point sent back with PUT keeps those effects.
Bodies are validated by the config model (:class:`acd.settings.EscalationPointConfig`), so a
mistake reads as in ``acd check-config``; a write that would leave a line code of the lines
without a point is refused with 409, naming the line code.  Refusals are
:class:`foundation.errors.ApiError` in the API's JSON error format.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from acd.api_models.escalations import EscalateEmailBody, TransferBody
from acd.engine import inputs as inp
from acd.engine.contacts import Phase
from acd.engine.runtime import EngineRuntime
from acd.engine.view import ContactView
from acd.escalation_views import NOT_ON_CALL, check_view, options_view
from acd.settings import EscalationPointConfig
from acd.settings.problems import problems_of
from escalations import EscalationPoint, as_of, check_transfer, options, uncovered_line_codes
from escalations.codec import to_data
from escalations.mail import (
    ContactDetails,
    EmailEscalationRefused,
    MailTarget,
    Outbox,
    Via,
    escalate_by_email,
    render_email,
)
from escalations.rules import local_day
from escalations.store import EscalationExists, EscalationNotFound, EscalationStore
from foundation.contact import Activity, ContactRecord
from foundation.errors import ApiError, UnknownAgent
from foundation.json_body import parse_body, read_json_object


def add_escalation_routes(
    app: web.Application,
    store: EscalationStore,
    runtime: EngineRuntime,
    *,
    line_codes: Collection[str],
    line_users: Mapping[str, str],
    now: Callable[[], datetime],
    on_refused: Callable[[str, str], None] | None = None,
    mail_outbox: Outbox | None = None,
    mail_template: Callable[[str], str | None] = lambda name: None,
    on_mail_queued: Callable[[str, str], None] = lambda line_code, point: None,
) -> None:
    """Add the routes to ``app`` (an app of :func:`acd.api.create_api`, for its error
    middleware).  ``line_codes`` are the defined line codes (a point may name only those);
    ``line_users`` maps each line code the lines use to a line that uses it (these must keep a
    point).  ``now`` is the engine's wall clock, read once per request.  ``on_refused(point,
    reason)`` hears of every transfer refused by the rules (the metrics count them).
    ``mail_outbox`` (None: e-mail escalation refused) stores the mails; ``mail_template(name)``
    is the text of a point's e-mail template; ``on_mail_queued(line_code, point)`` hears of
    each new mail (the metrics count it)."""
    routes = _Routes(
        store,
        runtime,
        frozenset(line_codes),
        dict(line_users),
        now,
        on_refused or _ignore,
        _Mail(mail_outbox, mail_template, on_mail_queued),
    )
    app.router.add_get("/api/escalation-points", routes.list)
    app.router.add_post("/api/escalation-points", routes.create)
    app.router.add_get("/api/escalation-points/{point_id}", routes.get)
    app.router.add_put("/api/escalation-points/{point_id}", routes.update)
    app.router.add_delete("/api/escalation-points/{point_id}", routes.delete)
    app.router.add_get("/api/agents/{agent_id}/escalations", routes.agent_options)
    app.router.add_get(
        "/api/agents/{agent_id}/escalations/{point_id}/email-preview", routes.email_preview
    )
    app.router.add_post("/api/agents/{agent_id}/transfer", routes.transfer)
    app.router.add_post("/api/agents/{agent_id}/escalate-email", routes.escalate_email)


@dataclass(frozen=True, slots=True)
class _Contact:
    """The caller's contact an agent may escalate: in the call, or in its wrap-up."""

    id: str
    record: ContactRecord
    wrap_up: bool  # the call is over: e-mail only


@dataclass(frozen=True, slots=True)
class _Mail:
    outbox: Outbox | None  # None: e-mail escalation is not configured
    template: Callable[[str], str | None]  # a template's text by name
    on_queued: Callable[[str, str], None]  # (line code, point): a new mail is in the outbox


class _Routes:
    def __init__(
        self,
        store: EscalationStore,
        runtime: EngineRuntime,
        line_codes: frozenset[str],
        line_users: dict[str, str],
        now: Callable[[], datetime],
        on_refused: Callable[[str, str], None],
        mail: _Mail,
    ) -> None:
        self.mail = mail
        self._on_refused = on_refused
        self._store = store
        self._runtime = runtime
        self._line_codes = line_codes
        self._line_users = line_users
        self._now = now

    # --- editing --------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        line_code = request.query.get("line_code") or None
        today = local_day(self._now())
        found = await self._store.list()
        current = [as_of(point, today) for point in found]
        if line_code is not None:
            current = [point for point in current if line_code in point.line_codes]
        return web.json_response({"escalation_points": [to_data(p) for p in current]})

    async def get(self, request: web.Request) -> web.Response:
        point = await self._require(request.match_info["point_id"])
        return web.json_response(to_data(as_of(point, local_day(self._now()))))

    async def create(self, request: web.Request) -> web.Response:
        point = self._parse(await read_json_object(request))
        try:
            await self._store.create(point)
        except EscalationExists as exc:
            raise ApiError(
                409, "escalation_point_exists", str(exc), {"point_id": exc.point_id}
            ) from None
        return web.json_response(to_data(point), status=201)

    async def update(self, request: web.Request) -> web.Response:
        point_id = request.match_info["point_id"]
        body = await read_json_object(request)
        if body.setdefault("id", point_id) != point_id:
            raise ApiError(
                422,
                "invalid_escalation_point",
                f"the body's id {body['id']!r} is not the path's {point_id!r}",
                {"problems": [{"key": "id", "reason": "differs from the path"}]},
            )
        point = self._parse(body)
        stored = await self._store.list()
        if not any(p.id == point_id for p in stored):
            raise _not_found(point_id)
        others = [p for p in stored if p.id != point_id]
        self._keep_covered([*others, point])
        try:
            await self._store.update(point)
        except EscalationNotFound:
            raise _not_found(point_id) from None
        return web.json_response(to_data(point))

    async def delete(self, request: web.Request) -> web.Response:
        point_id = request.match_info["point_id"]
        points = await self._store.list()
        if not any(p.id == point_id for p in points):
            raise _not_found(point_id)
        self._keep_covered([p for p in points if p.id != point_id])
        try:
            await self._store.delete(point_id)
        except EscalationNotFound:
            raise _not_found(point_id) from None
        return web.Response(status=204)

    # --- the agent's call -----------------------------------------------------------------

    async def agent_options(self, request: web.Request) -> web.Response:
        agent_id = request.match_info["agent_id"]
        contact = self._contact_of(agent_id)
        line_code = contact.record.line_code
        if line_code is None:
            raise ApiError(
                409,
                "no_line_code",
                f"agent {agent_id}'s call has no line code yet",
                {"contact_id": contact.id},
            )
        at = self._now()
        found = options(await self._store.list(), line_code, at)
        views = [options_view(option) for option in found]
        if contact.wrap_up:
            for view in views:
                view["phone_transfer"] = NOT_ON_CALL
        return web.json_response(
            {
                "agent_id": agent_id,
                "contact_id": contact.id,
                "line_code": line_code,
                "at": at.astimezone(UTC).isoformat(),
                "state": "wrap_up" if contact.wrap_up else "talking",
                "escalation_points": views,
            }
        )

    async def transfer(self, request: web.Request) -> web.Response:
        agent_id = request.match_info["agent_id"]
        point_id = (await parse_body(request, TransferBody)).point_id
        self._call_of(agent_id)
        point = await self._require(point_id)
        at = self._now()
        check = check_transfer(point, at)
        if check.reason is not None:  # set exactly when the transfer is not possible
            self._on_refused(point_id, check.reason.value)
            raise ApiError(
                409, check.reason.value, check.message, {"point_id": point_id, **check_view(check)}
            )
        number = as_of(point, local_day(at)).phone_e164
        assert number is not None  # a possible transfer has a number
        # The core refuses (409 not_on_call) when the call moved on since we looked.
        self._runtime.submit(inp.TransferRequested(agent_id, point_id, number))
        return web.json_response(
            {"agent_id": agent_id, "point_id": point_id, "number": number, "transfer": "dialing"},
            status=202,
        )

    async def escalate_email(self, request: web.Request) -> web.Response:
        """Store the agent's question for the point's mailbox (or CRM); the outbox delivers
        it, retrying until delivered.  The same ``request_key`` again stores nothing new."""
        agent_id = request.match_info["agent_id"]
        body = await parse_body(request, EscalateEmailBody)
        point_id, note, request_key = body.point_id, body.note, body.request_key
        contact = self._contact_of(agent_id)
        at = self._now()
        target, details = await self._mail_for(agent_id, contact, point_id, at, sending=True)
        try:
            mail, created = await escalate_by_email(
                self.mail.outbox, target, details, note, request_key, at, body.body
            )
        except EmailEscalationRefused as exc:
            status = 422 if exc.error_id in _BAD_REQUEST else 409
            self._on_refused(point_id, exc.error_id)
            raise ApiError(status, exc.error_id, str(exc), {"point_id": point_id}) from None
        self._runtime.submit(inp.EmailEscalated(agent_id, point_id))
        if created:
            self.mail.on_queued(details.line_code, point_id)
        return web.json_response(
            {
                "mail_id": mail.id,
                "point_id": point_id,
                "contact_id": contact.id,
                "via": mail.via.value,
                "status": mail.status.value,
                "created": created,
            },
            status=201 if created else 200,
        )

    async def email_preview(self, request: web.Request) -> web.Response:
        """The point's template filled in with the caller's details and the agent's note, as
        :meth:`escalate_email` would send it: the agent page shows it to edit first."""
        agent_id = request.match_info["agent_id"]
        point_id = request.match_info["point_id"]
        contact = self._contact_of(agent_id)
        note = request.query.get("note")
        if note is None:
            registration = contact.record.registration
            note = registration.note if registration is not None else ""
        at = self._now()
        target, details = await self._mail_for(agent_id, contact, point_id, at, sending=False)
        try:
            subject, body = render_email(target, details, note)
        except EmailEscalationRefused as exc:
            raise ApiError(409, exc.error_id, str(exc), {"point_id": point_id}) from None
        return web.json_response(
            {
                "agent_id": agent_id,
                "point_id": point_id,
                "contact_id": contact.id,
                "via": target.via.value,
                "address": target.address,
                "subject": subject,
                "body": body,
            }
        )

    async def _mail_for(
        self, agent_id: str, contact: _Contact, point_id: str, at: datetime, *, sending: bool
    ) -> tuple[MailTarget, ContactDetails]:
        """Where the point's mail goes and what its template is filled in with; 409
        ``email_not_allowed`` for a point that takes no questions by e-mail (counted as a
        refused escalation when ``sending``, not for a preview)."""
        point = as_of(await self._require(point_id), local_day(at))
        if not point.email_allowed:
            if sending:
                self._on_refused(point_id, "email_not_allowed")
            raise ApiError(
                409,
                "email_not_allowed",
                f"escalation point {point_id!r} takes no questions by e-mail",
                {"point_id": point_id},
            )
        target = MailTarget(
            point_id=point.id,
            address=point.email or "",
            via=Via(point.mail_channel.value),
            template=self.mail.template(point.email_template) or "",
            handling_term=point.handling_info,
            handling_term_days=point.handling_days,
        )
        record = contact.record
        agent = self._runtime.view.agents[agent_id]
        details = ContactDetails(
            number=record.caller_number,
            line=record.line or "",
            line_code=record.line_code or "",
            contact_id=contact.id,
            started_at=record.arrived_at,
            agent_id=agent_id,
            agent_name=agent.config.name,
        )
        return target, details

    # --- shared ---------------------------------------------------------------------------

    def _parse(self, body: dict[str, Any]) -> EscalationPoint:
        body.pop("phone_e164", None)  # derived from the phone number; GET shows it
        try:
            config = EscalationPointConfig.model_validate(body)
        except ValidationError as exc:
            problems = [{"key": p.key, "reason": p.reason} for p in problems_of(exc)]
            first = problems[0]
            raise ApiError(
                422,
                "invalid_escalation_point",
                f"{first['key']}: {first['reason']}" if first["key"] else first["reason"],
                {"problems": problems},
            ) from None
        undefined = [code for code in config.line_codes if code not in self._line_codes]
        if undefined:
            raise ApiError(
                422,
                "invalid_escalation_point",
                f"line_codes: {undefined[0]!r} is not a defined line code",
                {
                    "problems": [
                        {"key": "line_codes", "reason": f"{c!r} is not defined"} for c in undefined
                    ]
                },
            )
        if self.mail.outbox is not None and self.mail.template(config.email_template) is None:
            # As check-config refuses it in the file; without mail nothing would use it.
            reason = f"template {config.email_template!r} is not in acd.yaml mail.templates"
            raise ApiError(
                422,
                "invalid_escalation_point",
                f"email_template: {reason}",
                {"problems": [{"key": "email_template", "reason": reason}]},
            )
        return config.to_point()

    def _keep_covered(self, points: Sequence[EscalationPoint]) -> None:
        missing = uncovered_line_codes(points, list(self._line_users))
        if not missing:
            return
        code, since = next(iter(missing.items()))
        when = "" if since is None else f" from {since} on"
        raise ApiError(
            409,
            "line_code_without_escalation_point",
            f"line code {code!r} (line {self._line_users[code]!r}) would have no escalation"
            f" point{when}: link another point first",
            {"line_codes": sorted(missing)},
        )

    async def _require(self, point_id: str) -> EscalationPoint:
        point = await self._store.get(point_id)
        if point is None:
            raise _not_found(point_id)
        return point

    def _call_of(self, agent_id: str) -> ContactView:
        view = self._runtime.view
        agent = view.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        contact = view.contacts.get(agent.contact_id or "")
        if contact is None or contact.phase is not Phase.CONNECTED or contact.callback:
            raise _not_on_call(agent_id)
        return contact

    def _contact_of(self, agent_id: str) -> _Contact:
        """The caller's contact the agent talks to or wraps up (a callback's is not one: the
        citizen did not call in)."""
        agent = self._runtime.view.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        handled = agent.handled
        if agent.activity is Activity.WRAP_UP and handled is not None:
            if handled.callback_number is not None:
                raise _not_on_call(agent_id)
            return _Contact(handled.record.id, handled.record, wrap_up=True)
        call = self._call_of(agent_id)
        return _Contact(call.id, call.record, wrap_up=False)


_BAD_REQUEST = frozenset(
    {"empty_note", "note_too_long", "no_request_key", "empty_body", "body_too_long"}
)


def _not_on_call(agent_id: str) -> ApiError:
    return ApiError(
        409,
        "not_on_call",
        f"agent {agent_id} is not talking to a caller who called in",
        {"agent_id": agent_id},
    )


def _ignore(point: str, reason: str) -> None:
    return None


def _not_found(point_id: str) -> ApiError:
    return ApiError(
        404, "escalation_point_not_found", f"no escalation point {point_id!r}", {"id": point_id}
    )
