"""The auth routes: sign in and out, who am I, the audit log, users and tokens.

POST   /api/session          {"username", "password"}: a session cookie and a CSRF token
GET    /api/session          who the credentials name (and the session's CSRF token)
DELETE /api/session          sign out
GET    /api/audit?actor=&action=&line=&since=&until=&limit=
GET    /api/users            POST /api/users {"username", "password", "role", ...}
PUT    /api/users/{username} {"password"?, "disabled"?}
GET    /api/tokens           POST /api/tokens {"name", "scopes"}: the token, shown once
DELETE /api/tokens/{token_id}
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime
from typing import Any

from aiohttp import web

from acd.auth.api_models import LoginBody, TokenCreateBody, UserCreateBody, UserUpdateBody
from acd.auth.guard import COOKIE, Guard, unauthenticated
from acd.auth.hashing import DUMMY_HASH, csrf_token, password_problem
from acd.auth.keys import PRINCIPAL
from acd.auth.model import Principal, Role, Token, User, Via
from acd.auth.store import DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, AuditEntry, AuditQuery
from acd.auth.users import user_problem
from foundation.errors import ApiError
from foundation.json_body import parse_body

GUARD = web.AppKey("auth_guard", Guard)


def add_auth_routes(
    app: web.Application, guard: Guard, *, agents: Collection[str], lines: Collection[str]
) -> None:
    """``agents`` and ``lines`` are the configured ids a user may be linked to."""
    routes = _Routes(guard, frozenset(agents), frozenset(lines))
    app[GUARD] = guard
    app.router.add_post("/api/session", routes.login)
    app.router.add_get("/api/session", routes.whoami)
    app.router.add_delete("/api/session", routes.logout)
    app.router.add_get("/api/audit", routes.audit)
    app.router.add_get("/api/users", routes.users)
    app.router.add_post("/api/users", routes.add_user)
    app.router.add_put("/api/users/{username}", routes.update_user)
    app.router.add_get("/api/tokens", routes.tokens)
    app.router.add_post("/api/tokens", routes.add_token)
    app.router.add_delete("/api/tokens/{token_id}", routes.revoke_token)


class _Routes:
    def __init__(self, guard: Guard, agents: frozenset[str], lines: frozenset[str]) -> None:
        self.guard = guard
        self.store = guard.store
        self.agents = agents
        self.lines = lines

    # --- sessions ------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        body = await parse_body(request, LoginBody)
        username, password = body.username.strip()[:64], body.password
        guard, now = self.guard, self.guard.clock.now()
        user_key, address_key = f"user:{username}", f"address:{request.remote}"
        for lockout, key in (
            (guard.lockout_users, user_key),
            (guard.lockout_addresses, address_key),
        ):
            left = lockout.locked_for(key)
            if left is not None:
                await self._audit(request, username, "login.refused_locked", now, 429)
                raise ApiError(
                    429,
                    "login_locked",
                    "too many failed logins: try again later",
                    {"retry_after_s": int(left) + 1},
                    headers={"Retry-After": str(int(left) + 1)},
                )
        found = await self.store.password_hash(username)
        # Verify against a dummy hash when the user is unknown: the time taken is the same.
        ok = await self.store.verify(found[1] if found else DUMMY_HASH, password)
        if found is None or not ok or found[0].disabled:
            locked = guard.lockout_users.failed(user_key)
            locked = guard.lockout_addresses.failed(address_key) or locked
            await self._audit(request, username, "login.failed", now, 401)
            if locked:
                await self._audit(request, username, "login.lockout", now, 401)
            raise unauthenticated("login_failed", "wrong username or password")
        user = found[0]
        guard.lockout_users.succeeded(user_key)
        secret = secrets.token_urlsafe(32)
        csrf = csrf_token(secret)
        await self.store.open_session(user.id, secret, now)
        await self._audit(request, username, "login", now, 200, user.role.value)
        response = web.json_response(_user_view(user) | {"via": "session", "csrf_token": csrf})
        response.set_cookie(
            COOKIE,
            secret,
            httponly=True,
            samesite="Strict",
            secure=self._secure(request),
            path="/",
            max_age=int(guard.settings.session_absolute_s),
        )
        return response

    def _secure(self, request: web.Request) -> bool:
        mode = self.guard.settings.cookie_secure
        return mode == "always" or (mode == "auto" and request.secure)

    async def whoami(self, request: web.Request) -> web.Response:
        who: Principal = request[PRINCIPAL]
        view: dict[str, Any] = {
            "name": who.name,
            "via": who.via.value,
            "role": who.role.value if who.role else None,
            "agent_id": who.agent_id,
            "lines": sorted(who.lines),
            "scopes": sorted(who.scopes),
        }
        if who.csrf_token is not None:
            view["csrf_token"] = who.csrf_token
        return web.json_response(view)

    async def logout(self, request: web.Request) -> web.Response:
        who: Principal = request[PRINCIPAL]
        if who.via is not Via.SESSION:
            raise ApiError(409, "not_a_session", "a token is revoked, not signed out")
        await self.store.close_session(request.cookies[COOKIE])
        response = web.json_response({"signed_out": who.name})
        response.del_cookie(COOKIE, path="/")
        return response

    async def _audit(
        self,
        request: web.Request,
        actor: str,
        action: str,
        now: datetime,
        outcome: int,
        role: str | None = None,
    ) -> None:
        await self.store.audit(
            AuditEntry(now, actor, role, action, f"user {actor}", outcome, request.remote)
        )

    # --- audit ---------------------------------------------------------------------------

    async def audit(self, request: web.Request) -> web.Response:
        who: Principal = request[PRINCIPAL]
        q = request.query
        query = AuditQuery(
            actor=q.get("actor") or None,
            action=q.get("action") or None,
            line=q.get("line") or None,
            since=_time(q, "since"),
            until=_time(q, "until"),
            limit=_limit(q.get("limit")),
            within_lines=who.lines if who.role is Role.SUPERVISOR else None,
        )
        found = await self.store.audit_entries(query)
        return web.json_response({"entries": [entry.view() for entry in found]})

    # --- users ---------------------------------------------------------------------------

    async def users(self, request: web.Request) -> web.Response:
        return web.json_response({"users": [_user_view(u) for u in await self.store.users()]})

    async def add_user(self, request: web.Request) -> web.Response:
        body = await parse_body(request, UserCreateBody)
        username, password, role, agent_id = body.username, body.password, body.role, body.agent_id
        lines_t = tuple(body.lines)
        problem = password_problem(password) or user_problem(
            username, role, agent_id, lines_t, self.agents, self.lines
        )
        if problem:
            raise ApiError(422, "invalid_user", problem)
        user = await self.store.add_user(
            username, password, role, self.guard.clock.now(), agent_id=agent_id, lines=lines_t
        )
        return web.json_response(_user_view(user), status=201)

    async def update_user(self, request: web.Request) -> web.Response:
        username = request.match_info["username"]
        body = await parse_body(request, UserUpdateBody)
        password, disabled = body.password, body.disabled
        if password is not None:
            if problem := password_problem(password):
                raise ApiError(422, "invalid_password", problem)
            await self.store.set_password(username, password)
        if disabled is not None:
            await self.store.set_disabled(username, disabled)
        user = await self.store.user(username)
        if user is None:
            raise ApiError(404, "user_not_found", f"no user {username!r}")
        return web.json_response(_user_view(user))

    # --- tokens --------------------------------------------------------------------------

    async def tokens(self, request: web.Request) -> web.Response:
        return web.json_response({"tokens": [_token_view(t) for t in await self.store.tokens()]})

    async def add_token(self, request: web.Request) -> web.Response:
        body = await parse_body(request, TokenCreateBody)
        chosen = frozenset(body.scopes)
        token, secret = await self.store.add_token(body.name, chosen, self.guard.clock.now())
        return web.json_response(_token_view(token) | {"token": secret}, status=201)

    async def revoke_token(self, request: web.Request) -> web.Response:
        raw = request.match_info["token_id"]
        if not raw.isdigit():
            raise ApiError(404, "token_not_found", f"no token {raw!r}")
        token = await self.store.revoke_token(int(raw), self.guard.clock.now())
        return web.json_response(_token_view(token))


def _user_view(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "agent_id": user.agent_id,
        "lines": list(user.lines),
        "disabled": user.disabled,
    }


def _token_view(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "scopes": sorted(token.scopes),
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _time(query: Any, name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise ApiError(422, "invalid_time", f"{name} must be an ISO 8601 time with an offset")
    return at


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_AUDIT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_AUDIT_LIMIT:
        raise ApiError(422, "invalid_limit", f"limit must be a whole number 1-{MAX_AUDIT_LIMIT}")
    return int(raw)
