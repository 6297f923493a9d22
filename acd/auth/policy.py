"""The route table: every route of the HTTP API with who may call it, its audit name and its
body cap, in one place.

The handlers are registered where they live (:mod:`acd.api`, :mod:`callbacks.http`,
:mod:`acd.escalation_routes`, :mod:`acd.auth.routes`); the guard looks each request's route
up here by method and path template and refuses one it does not find (and the engine refuses
to start with such a route: see :func:`acd.auth.guard.check_routes`).  ``request_model`` is
the pydantic model the handler validates the body with, ``response_model`` what it answers
with ``ok``, ``query_model`` its query parameters: :mod:`acd.openapi` describes the API from
them (served at ``/api/openapi.json``), and a test refuses a body-taking route without one.

Who may call what:

    pages       the sign-in page and the assets: anyone; /agent: agents; /supervisor: staff;
                /listening: staff and reporting
    agent       their own agent (``{agent_id}`` is theirs): read it, log in/out, presence,
                the escalation options, transfer and e-mail escalation of their own call
    supervisor  agents, queues and callbacks of the lines they supervise; escalation points
                read; the audit entries about their lines
    admin       everything, also users, tokens and escalation point edits
    reporting   read-only figures: agents, queues (without callers' numbers), /metrics; the
                recordings of their service's lines: listen and score
    a token     the routes whose scope it holds (``admin``: all), on every line
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acd.api_models import agents, desk, escalations, monitor, nodes, ratings, recordings
from acd.auth import api_models as am
from acd.auth.model import Role, Scope
from acd.settings import EscalationPointConfig
from callbacks import api_models as cm

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
    PAGE = "page"  # a page of the workspace (acd.web): the user's own, whatever their lines


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
    query_model: type | None = None
    ok: tuple[int, ...] = (200,)  # the success statuses; the first is the usual one

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
    *,
    body: type | None = None,
    out: type | None = None,
    query: type | None = None,
    ok: tuple[int, ...] = (200,),
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
        request_model=body,
        response_model=out,
        query_model=query,
        ok=ok,
    )


S = Scope
A = "/api/agents/{agent_id}"
P = "/api/escalation-points"
C = "/api/callbacks/{callback_id}"
ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/healthz", "health", Access.PUBLIC, response_model=agents.HealthOut),
    RouteSpec(
        "GET", "/metrics", "metrics", Access.ROLES, frozenset({R.ADMIN, R.REPORTING}), S.METRICS
    ),
    # The API's description holds no data, only what the open-source code says: a client or a
    # tool reads it before it has credentials.
    RouteSpec("GET", "/api/openapi.json", "openapi", Access.PUBLIC),
    # --- the workspace's pages (acd.web): signed in with the page's role; no token opens them
    RouteSpec("GET", "/", "page.login", Access.PUBLIC),
    RouteSpec("GET", "/static/{name}", "page.static", Access.PUBLIC),
    RouteSpec("GET", "/agent", "page.agent", Access.ROLES, frozenset({R.AGENT}), None, Target.PAGE),
    RouteSpec("GET", "/supervisor", "page.supervisor", Access.ROLES, STAFF, None, Target.PAGE),
    RouteSpec(
        "GET",
        "/listening",
        "page.listening",
        Access.ROLES,
        STAFF | {R.REPORTING},
        None,
        Target.PAGE,
    ),
    # --- sessions (acd.auth.routes)
    RouteSpec(
        "POST",
        "/api/session",
        "session.login",
        Access.PUBLIC,
        max_body=SMALL_BODY,
        request_model=am.LoginBody,
        response_model=am.LoginOut,
    ),
    RouteSpec(
        "GET", "/api/session", "session.whoami", Access.SIGNED_IN, response_model=am.SessionOut
    ),
    RouteSpec(
        "DELETE",
        "/api/session",
        "session.logout",
        Access.SIGNED_IN,
        audited=True,
        response_model=am.LogoutOut,
    ),
    # --- agents and queues (acd.api)
    _rule(
        "GET",
        "/api/agents",
        "agents.list",
        STAFF | {R.REPORTING},
        S.AGENTS_READ,
        out=agents.AgentList,
    ),
    _rule("GET", A, "agent.get", ALL, S.AGENTS_READ, Target.AGENT, out=agents.AgentOut),
    _rule(
        "POST",
        A + "/login",
        "agent.login",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        out=agents.AgentOut,
    ),
    _rule(
        "POST",
        A + "/logout",
        "agent.logout",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        out=agents.AgentOut,
    ),
    _rule(
        "PUT",
        A + "/presence",
        "agent.presence",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        body=agents.PresenceBody,
        out=agents.AgentOut,
    ),
    _rule(
        "GET",
        "/api/queues",
        "queues.list",
        STAFF | {R.REPORTING},
        S.QUEUES_READ,
        out=agents.QueueList,
    ),
    # --- the agent's desk and the wallboard (acd.desk_routes, issue 13)
    _rule(
        "GET",
        A + "/contact",
        "agent.contact",
        AGENT_SELF,
        S.AGENTS_READ,
        Target.AGENT,
        out=desk.AgentContactOut,
    ),
    _rule(
        "POST",
        A + "/contact/close",
        "agent.contact_close",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        DEFAULT_BODY,
        body=desk.CloseContactBody,
        out=desk.CloseContactOut,
    ),
    _rule(
        "GET",
        A + "/today",
        "agent.today",
        AGENT_SELF,
        S.AGENTS_READ,
        Target.AGENT,
        out=desk.AgentTodayOut,
    ),
    RouteSpec(
        "GET",
        "/api/presence-reasons",
        "presence_reasons.list",
        Access.SIGNED_IN,
        response_model=desk.PresenceReasonsOut,
    ),
    # live events for the pages (acd.live): what each user sees is decided by the hub.  A
    # WebSocket: its answer is the upgrade (101), then JSON messages no OpenAPI model describes.
    RouteSpec("GET", "/api/events", "events.live", Access.SIGNED_IN, check_origin=True, ok=(101,)),
    # listen / whisper / barge (acd.monitor_routes): a supervisor of the agent's line
    _rule(
        "POST",
        A + "/monitor",
        "agent.monitor_start",
        STAFF,
        S.AGENTS_WRITE,
        Target.AGENT,
        body=monitor.MonitorBody,
        out=monitor.MonitorStartOut,
        ok=(202,),
    ),
    _rule(
        "DELETE",
        A + "/monitor",
        "agent.monitor_stop",
        STAFF,
        S.AGENTS_WRITE,
        Target.AGENT,
        out=monitor.MonitorStopOut,
    ),
    _rule(
        "GET",
        "/api/wallboard",
        "wallboard.get",
        STAFF | {R.REPORTING},
        S.QUEUES_READ,
        out=desk.WallboardOut,
    ),
    # --- engine nodes (acd.node_routes): operational, for supervisors and admins
    _rule("GET", "/api/nodes", "nodes.list", STAFF, S.QUEUES_READ, out=nodes.NodeList),
    # --- the agent's call and the escalation points (acd.escalation_routes)
    _rule(
        "GET",
        A + "/escalations",
        "agent.escalations",
        AGENT_SELF,
        S.AGENTS_READ,
        Target.AGENT,
        out=escalations.AgentEscalationsOut,
    ),
    _rule(
        "GET",
        A + "/escalations/{point_id}/email-preview",
        "agent.email_preview",
        AGENT_SELF,
        S.AGENTS_READ,
        Target.AGENT,
        out=escalations.EmailPreviewOut,
        query=escalations.EmailPreviewQuery,
    ),
    _rule(
        "POST",
        A + "/transfer",
        "agent.transfer",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        body=escalations.TransferBody,
        out=escalations.TransferOut,
        ok=(202,),
    ),
    _rule(
        "POST",
        A + "/survey",
        "agent.survey",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        out=escalations.SurveyOut,
    ),
    # --- call recordings (acd.recording_routes): reporting users see their service's lines
    _rule(
        "POST",
        A + "/record",
        "agent.record",
        STAFF,
        S.AGENTS_WRITE,
        Target.AGENT,
        out=recordings.RecordOut,
    ),
    _rule(
        "GET",
        "/api/recordings",
        "recordings.list",
        STAFF | {R.REPORTING},
        S.AGENTS_READ,
        out=recordings.RecordingList,
        query=recordings.RecordingsQuery,
    ),
    _rule(
        "GET",
        "/api/recordings/{name}",
        "recording.get",
        STAFF | {R.REPORTING},
        S.AGENTS_READ,
        out=recordings.RecordingOut,
    ),
    _rule(
        "POST",
        "/api/recordings/{name}/hold",
        "recording.hold",
        STAFF,
        S.AGENTS_WRITE,
        out=recordings.RecordingOut,
    ),
    # --- listening sessions (acd.listening_routes): the audio (binary, with ranges; each
    # listen audited by the handler, once per listening) and the quality scores
    _rule(
        "GET",
        "/api/recordings/{name}/audio",
        "recording.audio",
        STAFF | {R.REPORTING},
        S.AGENTS_READ,
        ok=(200, 206),
    ),
    _rule(
        "POST",
        "/api/recordings/{name}/score",
        "recording.score",
        STAFF | {R.REPORTING},
        S.AGENTS_WRITE,
        max_body=DEFAULT_BODY,
        body=recordings.ScoreBody,
        out=recordings.ScoresOut,
    ),
    _rule(
        "POST",
        A + "/escalate-email",
        "agent.escalate_email",
        AGENT_SELF,
        S.AGENTS_WRITE,
        Target.AGENT,
        DEFAULT_BODY,
        body=escalations.EscalateEmailBody,
        out=escalations.EmailEscalationOut,
        ok=(201, 200),
    ),
    _rule(
        "GET",
        P,
        "escalation_points.list",
        STAFF,
        S.ESCALATIONS_READ,
        out=escalations.EscalationPointList,
        query=escalations.EscalationPointsQuery,
    ),
    _rule(
        "GET",
        P + "/{point_id}",
        "escalation_point.get",
        STAFF,
        S.ESCALATIONS_READ,
        out=escalations.EscalationPointOut,
    ),
    _rule(
        "POST",
        P,
        "escalation_point.create",
        ADMIN,
        S.ESCALATIONS_WRITE,
        max_body=DEFAULT_BODY,
        body=EscalationPointConfig,
        out=escalations.EscalationPointOut,
        ok=(201,),
    ),
    _rule(
        "PUT",
        P + "/{point_id}",
        "escalation_point.update",
        ADMIN,
        S.ESCALATIONS_WRITE,
        max_body=DEFAULT_BODY,
        body=EscalationPointConfig,
        out=escalations.EscalationPointOut,
    ),
    _rule(
        "DELETE",
        P + "/{point_id}",
        "escalation_point.delete",
        ADMIN,
        S.ESCALATIONS_WRITE,
        ok=(204,),
    ),
    # --- escalation ratings (acd.escalation_rating_routes)
    _rule(
        "POST",
        "/api/escalations/{contact_id}/rating",
        "escalation.rate",
        STAFF,
        S.ESCALATIONS_RATE,
        max_body=DEFAULT_BODY,
        body=ratings.RatingBody,
        out=ratings.RatingOut,
        ok=(201, 200),
    ),
    _rule(
        "GET",
        "/api/escalation-ratings",
        "escalation_ratings.list",
        STAFF | {R.REPORTING},
        S.ESCALATIONS_READ,
        out=ratings.RatingList,
        query=ratings.RatingQuery,
    ),
    _rule(
        "GET",
        "/api/escalation-ratings/summary",
        "escalation_ratings.summary",
        STAFF | {R.REPORTING},
        S.ESCALATIONS_READ,
        out=ratings.RatingSummaries,
        query=ratings.RatingSummaryQuery,
    ),
    # --- callbacks (callbacks.http)
    _rule(
        "GET",
        "/api/callbacks",
        "callbacks.list",
        STAFF,
        S.CALLBACKS_READ,
        out=cm.CallbackList,
        query=cm.CallbackListQuery,
    ),
    _rule("GET", C, "callback.get", STAFF, S.CALLBACKS_READ, Target.CALLBACK, out=cm.CallbackOut),
    _rule(
        "POST",
        C + "/cancel",
        "callback.cancel",
        STAFF,
        S.CALLBACKS_WRITE,
        Target.CALLBACK,
        body=cm.CancelBody,
        out=cm.CallbackOut,
    ),
    _rule(
        "POST",
        C + "/reschedule",
        "callback.reschedule",
        STAFF,
        S.CALLBACKS_WRITE,
        Target.CALLBACK,
        body=cm.RescheduleBody,
        out=cm.CallbackOut,
    ),
    # --- audit, users, tokens (acd.auth.routes)
    _rule(
        "GET",
        "/api/audit",
        "audit.list",
        STAFF,
        S.AUDIT_READ,
        out=am.AuditList,
        query=am.AuditQuery,
    ),
    _rule("GET", "/api/users", "users.list", ADMIN, S.ADMIN, out=am.UserList),
    _rule(
        "POST",
        "/api/users",
        "user.create",
        ADMIN,
        S.ADMIN,
        body=am.UserCreateBody,
        out=am.UserOut,
        ok=(201,),
    ),
    _rule(
        "PUT",
        "/api/users/{username}",
        "user.update",
        ADMIN,
        S.ADMIN,
        body=am.UserUpdateBody,
        out=am.UserOut,
    ),
    _rule("GET", "/api/tokens", "tokens.list", ADMIN, S.ADMIN, out=am.TokenList),
    _rule(
        "POST",
        "/api/tokens",
        "token.create",
        ADMIN,
        S.ADMIN,
        body=am.TokenCreateBody,
        out=am.TokenOut,
        ok=(201,),
    ),
    _rule("DELETE", "/api/tokens/{token_id}", "token.revoke", ADMIN, S.ADMIN, out=am.TokenOut),
)

BY_KEY: dict[tuple[str, str], RouteSpec] = {spec.key: spec for spec in ROUTES}
assert len(BY_KEY) == len(ROUTES), "a route is listed twice"

# The routes that act on the agent's offer, call or wrap-up: with several nodes, answered by
# the node that holds the call, whichever node received them (acd.desk_forwarding).
ON_THE_CALL = frozenset(
    {
        "agent.contact",
        "agent.contact_close",
        "agent.escalations",
        "agent.email_preview",
        "agent.transfer",
        "agent.escalate_email",
        "agent.survey",
        "agent.monitor_start",
        "agent.monitor_stop",
        "agent.record",
    }
)
assert {spec.action for spec in ROUTES} >= ON_THE_CALL, "ON_THE_CALL names no such route"


def spec_for(method: str, path: str) -> RouteSpec | None:
    # aiohttp answers HEAD with the GET handler.
    return BY_KEY.get(("GET" if method == "HEAD" else method, path))
