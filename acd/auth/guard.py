"""The guard every request passes before its handler: who is calling (a bearer token or a
session cookie), whether a browser's state-changing request really comes from our own pages
(Origin/Referer and the CSRF token), whether the route's policy lets them, and the body cap.
Supervisor, admin and token actions are written to the audit log once answered.

Refusals are :class:`foundation.errors.ApiError` in the API's JSON error format: 401 when the
credentials are missing or wrong (with ``WWW-Authenticate``), 403 when they are good but not
enough.  Nothing here logs a header, a cookie, a token or a password.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from acd.auth.hashing import csrf_token, same
from acd.auth.keys import (
    FORWARDED_PRINCIPAL,
    HIDE_CALLERS,
    PRINCIPAL,
    SPEC,
    TARGET_LINES,
    VISIBLE_AGENTS,
    VISIBLE_LINE_CODES,
    VISIBLE_LINES,
)
from acd.auth.lockout import Lockout
from acd.auth.model import Principal, Role, Via
from acd.auth.policy import Access, RouteSpec, Target, spec_for
from acd.auth.store import AuditEntry, AuthStore
from acd.settings.auth_options import AuthSettings
from foundation.clock import Clock
from foundation.errors import ApiError

log = logging.getLogger(__name__)

COOKIE = "acd_session"
CSRF_HEADER = "X-CSRF-Token"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How often a session's last-seen time is written: every request would be a write per click.
TOUCH_EVERY_S = 60.0
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="acd"'}


@dataclass(frozen=True, slots=True)
class Directory:
    """What the guard needs to know of the contact centre to judge a target."""

    agent_lines: Mapping[str, frozenset[str]]  # agent id -> the lines that agent serves
    line_codes: Mapping[str, frozenset[str]]  # line id -> its line codes
    callback_line: Callable[[str], Awaitable[str | None]]  # callback id -> its line, if any

    def codes_of(self, lines: frozenset[str]) -> frozenset[str]:
        return frozenset(code for line in lines for code in self.line_codes.get(line, ()))


def unauthenticated(error_id: str, message: str) -> ApiError:
    return ApiError(401, error_id, message, headers=CHALLENGE)


def forbidden(error_id: str, message: str) -> ApiError:
    return ApiError(403, error_id, message)


class Guard:
    """The API's :class:`acd.api.Authenticator` with real credentials and roles."""

    def __init__(
        self, store: AuthStore, settings: AuthSettings, clock: Clock, directory: Directory
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.directory = directory
        self.lockout_users = Lockout(
            clock.monotonic,
            settings.max_failures_per_user,
            settings.failure_window_s,
            settings.lockout_s,
        )
        self.lockout_addresses = Lockout(
            clock.monotonic,
            settings.max_failures_per_address,
            settings.failure_window_s,
            settings.lockout_s,
        )

    def install(self, app: web.Application) -> None:
        """Check the app's routes against the table at startup, and audit every answer."""
        app.on_startup.append(_check_routes_on_startup)
        app.on_response_prepare.append(self._audit)

    # --- authenticate --------------------------------------------------------------------

    async def authenticate(self, request: web.Request) -> None:
        route = request.match_info.route
        if route.resource is None:  # no such path or method: the handler answers 404/405
            return
        spec = spec_for(request.method, route.resource.canonical)
        if spec is None:
            log.error("no policy for %s %s: refused", request.method, route.resource.canonical)
            raise forbidden("route_without_policy", "this route has no access policy")
        request[SPEC] = spec
        forwarded = request.get(FORWARDED_PRINCIPAL)
        if forwarded is not None:
            # Another node read the credentials, Origin and CSRF token: the policy is checked
            # again here, as a second look and for the keys it sets for the handler.
            request[PRINCIPAL] = forwarded
            if spec.access is Access.ROLES:
                await self._authorize(request, spec, forwarded)
            return
        await _check_body(request, spec)
        if spec.access is Access.PUBLIC or (
            spec.action == "metrics" and self.settings.metrics == "open"
        ):
            # Credentials are not read: a stale cookie must not stop a new login.
            self._check_login_origin(request)
            return
        principal = await self.principal(request)
        if principal is None:
            raise unauthenticated(
                "not_authenticated", "sign in (POST /api/session) or send a bearer token"
            )
        request[PRINCIPAL] = principal
        changes = request.method not in SAFE_METHODS
        if principal.via is Via.SESSION and (changes or spec.check_origin):
            self._check_origin(request)
            if changes:
                self._check_csrf(request, principal)
        if spec.access is Access.ROLES:
            await self._authorize(request, spec, principal)

    async def principal(self, request: web.Request) -> Principal | None:
        """Who the request's credentials name; None without credentials; 401 if they are
        wrong, expired, revoked or the user is disabled."""
        header = request.headers.get(hdrs.AUTHORIZATION)
        if header is not None:
            return await self._bearer(header)
        secret = request.cookies.get(COOKIE)
        if secret:
            return await self._session(secret)
        return None

    async def _bearer(self, header: str) -> Principal:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise unauthenticated("unsupported_authorization", "use Authorization: Bearer TOKEN")
        token = await self.store.token(secret.strip())
        if token is None or token.revoked_at is not None:
            raise ApiError(
                401,
                "invalid_token",
                "the bearer token is unknown or revoked",
                headers={"WWW-Authenticate": 'Bearer realm="acd", error="invalid_token"'},
            )
        now = self.clock.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_EVERY_S:
            await self.store.token_used(token.id, now)
        return Principal(f"token:{token.name}", Via.TOKEN, scopes=token.scopes)

    async def _session(self, secret: str) -> Principal:
        session = await self.store.session(secret)
        expired = unauthenticated("session_expired", "the session has ended: sign in again")
        if session is None:
            raise expired
        now = self.clock.now()
        idle = (now - session.last_seen_at).total_seconds()
        age = (now - session.created_at).total_seconds()
        if idle > self.settings.session_idle_s or age > self.settings.session_absolute_s:
            await self.store.close_session(secret)
            raise expired
        user = await self.store.user_by_id(session.user_id)
        if user is None or user.disabled:
            await self.store.close_session(secret)
            raise expired
        if idle > TOUCH_EVERY_S:
            await self.store.touch_session(secret, now)
        return Principal(
            user.username,
            Via.SESSION,
            role=user.role,
            agent_id=user.agent_id,
            lines=frozenset(user.lines),
            user_id=user.id,
            csrf_token=csrf_token(secret),
        )

    async def still_signed_in(self, request: web.Request) -> bool:
        """Whether the request's session still holds (not ended, expired or its user
        disabled), without counting this as activity: for a long-lived connection (the live
        events' WebSocket), which must not keep an unattended session alive."""
        secret = request.cookies.get(COOKIE)
        if not secret:
            return True  # a bearer token: checked at the handshake, revoked tokens aside
        session = await self.store.session(secret)
        if session is None:
            return False
        now = self.clock.now()
        idle = (now - session.last_seen_at).total_seconds()
        age = (now - session.created_at).total_seconds()
        if idle > self.settings.session_idle_s or age > self.settings.session_absolute_s:
            return False
        user = await self.store.user_by_id(session.user_id)
        return user is not None and not user.disabled

    # --- browsers: origin and CSRF ------------------------------------------------------

    def _allowed_origins(self, request: web.Request) -> set[str]:
        return {f"{request.scheme}://{request.host}", *self.settings.allowed_origins}

    def _check_origin(self, request: web.Request) -> None:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            referer = request.headers.get(hdrs.REFERER)
            if referer is None:
                raise forbidden(
                    "origin_missing",
                    "a browser request that changes something must carry Origin or Referer",
                )
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._allowed_origins(request):
            raise forbidden("origin_refused", f"requests from {origin[:100]!r} are not accepted")

    def _check_login_origin(self, request: web.Request) -> None:
        # A login posted by another site's page would sign the browser in as the attacker.
        origin = request.headers.get(hdrs.ORIGIN)
        refused = origin is not None and origin not in self._allowed_origins(request)
        if request.method not in SAFE_METHODS and refused:
            raise forbidden("origin_refused", f"requests from {origin!r:.100} are not accepted")

    def _check_csrf(self, request: web.Request, principal: Principal) -> None:
        sent = request.headers.get(CSRF_HEADER)
        if not sent:
            raise forbidden(
                "csrf_token_missing",
                f"send the {CSRF_HEADER} header with the token GET /api/session gave",
            )
        if principal.csrf_token is None or not same(sent, principal.csrf_token):
            raise forbidden("csrf_token_invalid", f"the {CSRF_HEADER} header does not match")

    # --- authorize -----------------------------------------------------------------------

    async def _authorize(self, request: web.Request, spec: RouteSpec, who: Principal) -> None:
        if who.via is Via.TOKEN:
            if spec.scope is None or not who.has_scope(spec.scope):
                raise forbidden(
                    "scope_missing", f"this token lacks the {spec.scope or 'admin'!s} scope"
                )
            await self._note_target(request, spec)
            return
        if who.role not in spec.roles:
            raise forbidden("role_refused", f"a {who.role} may not {spec.action}")
        lines = await self._note_target(request, spec)
        if who.role is Role.ADMIN or spec.target is Target.PAGE:
            return
        if who.role is Role.REPORTING:
            request[HIDE_CALLERS] = True
            return
        if who.role is Role.AGENT:
            if spec.target is not Target.AGENT or request.match_info["agent_id"] != who.agent_id:
                raise forbidden("not_your_agent", "an agent may act only on their own agent")
            return
        # A supervisor: their lines' part of a list, their lines' agents and callbacks.
        if spec.target is Target.NONE:
            request[VISIBLE_LINES] = who.lines
            request[VISIBLE_LINE_CODES] = self.directory.codes_of(who.lines)
            request[VISIBLE_AGENTS] = frozenset(
                agent for agent, its in self.directory.agent_lines.items() if its & who.lines
            )
        elif lines is not None and not lines & who.lines:
            raise forbidden("not_your_line", "this is not on a line you supervise")

    async def _note_target(self, request: web.Request, spec: RouteSpec) -> frozenset[str] | None:
        """The lines the route's target belongs to (None: unknown, the handler says 404)."""
        if spec.target is Target.AGENT:
            lines = self.directory.agent_lines.get(request.match_info["agent_id"])
        elif spec.target is Target.CALLBACK:
            line = await self.directory.callback_line(request.match_info["callback_id"])
            lines = None if line is None else frozenset({line})
        else:
            return None
        if lines is not None:
            request[TARGET_LINES] = lines
        return lines

    # --- audit ---------------------------------------------------------------------------

    async def _audit(self, request: web.Request, response: web.StreamResponse) -> None:
        spec = request.get(SPEC)
        who = request.get(PRINCIPAL)
        if spec is None or who is None or not spec.audited or who.role is Role.AGENT:
            return
        await self.store.audit(
            AuditEntry(
                self.clock.now(),
                who.name,
                who.role.value if who.role else None,
                spec.action,
                _target(request),
                response.status,
                request.remote,
                tuple(sorted(request.get(TARGET_LINES, ()))),
            )
        )


def _target(request: web.Request) -> str | None:
    found = [f"{key.removesuffix('_id')} {value}" for key, value in request.match_info.items()]
    return ", ".join(found) or None


async def _check_body(request: web.Request, spec: RouteSpec) -> None:
    length = request.content_length
    if length is None and request.body_exists:
        # Chunked: read it (aiohttp caps it at client_max_size) and the handler reads the copy.
        length = len(await request.read())
    if length is not None and length > spec.max_body:
        raise ApiError(
            413,
            "body_too_large",
            f"this route takes a body of at most {spec.max_body} bytes",
            {"max_bytes": spec.max_body},
        )


def check_routes(app: web.Application) -> list[str]:
    """The app's routes that have no entry in the policy table."""
    missing = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        if spec_for(route.method, resource.canonical) is None:
            missing.append(f"{route.method} {resource.canonical}")
    return missing


async def _check_routes_on_startup(app: web.Application) -> None:
    missing = check_routes(app)
    if missing:
        raise RuntimeError(f"routes without an access policy: {', '.join(missing)}")
