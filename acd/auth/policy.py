"""The route table: every route of the HTTP API with who may call it, its audit name and its
body cap, in one place.

The handlers are registered where they live (:mod:`acd.api`, :mod:`callbacks.http`,
:mod:`acd.escalation_routes`, :mod:`acd.auth.routes`); the guard looks each request's route
up here by method and path template and refuses one it does not find (and the engine refuses
to start with such a route: see :func:`acd.auth.guard.check_routes`).  ``request_model`` and
``response_model`` are the slots where the OpenAPI description (issue 12 item 6) will attach
the pydantic models a route validates with.

Who may call what:

    agent       their own agent (``{agent_id}`` is theirs): read it, log in/out, presence,
                the escalation options, transfer and e-mail escalation of their own call
    supervisor  agents, queues and callbacks of the lines they supervise; escalation points
                read; the audit entries about their lines
    admin       everything, also users, tokens and escalation point edits
    reporting   read-only figures: agents, queues (without callers' numbers), /metrics
    a token     the routes whose scope it holds (``admin``: all), on every line
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acd.auth.model import Role, Scope

R = Role


class Access(StrEnum):
    PUBLIC = "public"  # anyone: /healthz, the login itself
    SIGNED_IN = "signed_in"  # any user or token
    ROLES = "roles"  # the roles listed, or a token with the scope


class Target(StrEnum):
    """What a route acts on, which decides whether an agent or supervisor may act on it."""

    NONE = "none"  # a list or a global resource: supervisors see their lines' part
    AGENT = "agent"  # {agent_id}
    CALLBACK = "callback"  # {callback_id}


SMALL_BODY = 4 * 1024  # login, reasons, a transfer's point id
DEFAULT_BODY = 64 * 1024  # an escalation point with its schedule, an e-mail's note


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str  # aiohttp's canonical path template
    action: str  # the audit log's name for it
    access: Access
    roles: frozenset[Role] = frozenset()
    scope: Scope | None = None  # what a token needs; None: no token may
    target: Target = Target.NONE
    max_body: int = SMALL_BODY
    # Written to the audit log when a supervisor, admin or token calls it (GETs are not).
    audited: bool = False
    # A browser's GET that must come from an allowed origin too: a WebSocket handshake, which
    # any site's page could open with the user's cookie (no CSRF header on a handshake).
    check_origin: bool = False
    request_model: type | None = None
    response_model: type | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
STAFF = frozenset({R.SUPERVISOR, R.ADMIN})
AGENT_SELF = frozenset({R.AGENT, R.SUPERVISOR, R.ADMIN})


def _rule(
    method: str,
    path: str,
    action: str,
    roles: frozenset[Role],
    scope: Scope,
    target: Target = Target.NONE,
    max_body: int = SMALL_BODY,
) -> RouteSpec:
    return RouteSpec(
        method,
        path,
        action,
        Access.ROLES,
        roles,
        scope,
        target,
        max_body,
        audited=method != "GET",
    )


S = Scope
A = "/api/agents/{agent_id}"
ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/healthz", "health", Access.PUBLIC),
    RouteSpec(
        "GET", "/metrics", "metrics", Access.ROLES, frozenset({R.ADMIN, R.REPORTING}), S.METRICS
    ),
    # --- sessions (acd.auth.routes)
    RouteSpec("POST", "/api/session", "session.login", Access.PUBLIC, max_body=SMALL_BODY),
    RouteSpec("GET", "/api/session", "session.whoami", Access.SIGNED_IN),
    RouteSpec("DELETE", "/api/session", "session.logout", Access.SIGNED_IN, audited=True),
    # --- agents and queues (acd.api)
    _rule("GET", "/api/agents", "agents.list", STAFF | {R.REPORTING}, S.AGENTS_READ),
    _rule("GET", A, "agent.get", ALL, S.AGENTS_READ, Target.AGENT),
    _rule("POST", A + "/login", "agent.login", AGENT_SELF, S.AGENTS_WRITE, Target.AGENT),
    _rule("POST", A + "/logout", "agent.logout", AGENT_SELF, S.AGENTS_WRITE, Target.AGENT),
    _rule("PUT", A + "/presence", "agent.presence", AGENT_SELF, S.AGENTS_WRITE, Target.AGENT),
    _rule("GET", "/api/queues", "queues.list", STAFF | {R.REPORTING}, S.QUEUES_READ),
    # --- the agent's desk and the wallboard (acd.desk_routes, issue 13)
    _rule("GET", A + "/contact", "agent.contact", AGENT_SELF, S.AGENTS_READ, Target.AGENT),
    _rule(
        "POST",
        A + "/contact/close",
        "agent.contact_close",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        DEFAULT_BODY,
    ),
    _rule("GET", A + "/today", "agent.today", AGENT_SELF, S.AGENTS_READ, Target.AGENT),
    RouteSpec("GET", "/api/presence-reasons", "presence_reasons.list", Access.SIGNED_IN),
    # live events for the pages (acd.live): what each user sees is decided by the hub
    RouteSpec("GET", "/api/events", "events.live", Access.SIGNED_IN, check_origin=True),
    # listen / whisper / barge (acd.monitor_routes): a supervisor of the agent's line
    _rule("POST", A + "/monitor", "agent.monitor_start", STAFF, S.AGENTS_WRITE, Target.AGENT),
    _rule("DELETE", A + "/monitor", "agent.monitor_stop", STAFF, S.AGENTS_WRITE, Target.AGENT),
    _rule("GET", "/api/wallboard", "wallboard.get", STAFF | {R.REPORTING}, S.QUEUES_READ),
    # --- the agent's call and the escalation points (acd.escalation_routes)
    _rule("GET", A + "/escalations", "agent.escalations", AGENT_SELF, S.AGENTS_READ, Target.AGENT),
    _rule("POST", A + "/transfer", "agent.transfer", AGENT_SELF, S.AGENTS_WRITE, Target.AGENT),
    _rule(
        "POST",
        A + "/escalate-email",
        "agent.escalate_email",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        DEFAULT_BODY,
    ),
    _rule("GET", "/api/escalation-points", "escalation_points.list", STAFF, S.ESCALATIONS_READ),
    _rule(
        "GET",
        "/api/escalation-points/{point_id}",
        "escalation_point.get",
        STAFF,
        S.ESCALATIONS_READ,
    ),
    _rule(
        "POST",
        "/api/escalation-points",
        "escalation_point.create",
        ADMIN,
        S.ESCALATIONS_WRITE,
        max_body=DEFAULT_BODY,
    ),
    _rule(
        "PUT",
        "/api/escalation-points/{point_id}",
        "escalation_point.update",
        ADMIN,
        S.ESCALATIONS_WRITE,
        max_body=DEFAULT_BODY,
    ),
    _rule(
        "DELETE",
        "/api/escalation-points/{point_id}",
        "escalation_point.delete",
        ADMIN,
        S.ESCALATIONS_WRITE,
    ),
    # --- escalation ratings (acd.escalation_rating_routes)
    _rule(
        "POST",
        "/api/escalations/{contact_id}/rating",
        "escalation.rate",
        STAFF,
        S.ESCALATIONS_RATE,
        max_body=DEFAULT_BODY,
    ),
    _rule(
        "GET",
        "/api/escalation-ratings",
        "escalation_ratings.list",
        STAFF | {R.REPORTING},
        S.ESCALATIONS_READ,
    ),
    _rule(
        "GET",
        "/api/escalation-ratings/summary",
        "escalation_ratings.summary",
        STAFF | {R.REPORTING},
        S.ESCALATIONS_READ,
    ),
    # --- callbacks (callbacks.http)
    _rule("GET", "/api/callbacks", "callbacks.list", STAFF, S.CALLBACKS_READ),
    _rule(
        "GET",
        "/api/callbacks/{callback_id}",
        "callback.get",
        STAFF,
        S.CALLBACKS_READ,
        Target.CALLBACK,
    ),
    _rule(
        "POST",
        "/api/callbacks/{callback_id}/cancel",
        "callback.cancel",
        STAFF,
        S.CALLBACKS_WRITE,
        Target.CALLBACK,
    ),
    _rule(
        "POST",
        "/api/callbacks/{callback_id}/reschedule",
        "callback.reschedule",
        STAFF,
        S.CALLBACKS_WRITE,
        Target.CALLBACK,
    ),
    # --- audit, users, tokens (acd.auth.routes)
    _rule("GET", "/api/audit", "audit.list", STAFF, S.AUDIT_READ),
    _rule("GET", "/api/users", "users.list", ADMIN, S.ADMIN),
    _rule("POST", "/api/users", "user.create", ADMIN, S.ADMIN),
    _rule("PUT", "/api/users/{username}", "user.update", ADMIN, S.ADMIN),
    _rule("GET", "/api/tokens", "tokens.list", ADMIN, S.ADMIN),
    _rule("POST", "/api/tokens", "token.create", ADMIN, S.ADMIN),
    _rule("DELETE", "/api/tokens/{token_id}", "token.revoke", ADMIN, S.ADMIN),
)

BY_KEY: dict[tuple[str, str], RouteSpec] = {spec.key: spec for spec in ROUTES}
assert len(BY_KEY) == len(ROUTES), "a route is listed twice"


def spec_for(method: str, path: str) -> RouteSpec | None:
    # aiohttp answers HEAD with the GET handler.
    return BY_KEY.get(("GET" if method == "HEAD" else method, path))
