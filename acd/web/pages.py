"""The page routes: ``/`` (sign in), ``/agent``, ``/supervisor``, ``/listening`` (listening
sessions: supervisors and reporting users) and ``/static/{name}``.

Who may open which page is in the route table (:mod:`acd.auth.policy`) like every API route,
so the guard decides; this module only turns its JSON refusals into what a browser needs: a
page asked for without a session goes to the sign-in page, a page of another role shows a
403 page with a link to the user's own.  Every response carries the security headers: a CSP
without inline script (the pages' data travels as a JSON block, which a CSP does not run),
no framing, no MIME sniffing."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from aiohttp import web

from acd.auth.keys import PRINCIPAL
from acd.auth.model import Principal, Role
from acd.settings.quality_options import QualitySettings
from acd.web.i18n import COOKIE, catalogue, chosen

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PAGES = {"/": "login", "/agent": "agent", "/supervisor": "supervisor", "/listening": "listening"}
HOME = {
    Role.AGENT: "/agent",
    Role.SUPERVISOR: "/supervisor",
    Role.ADMIN: "/supervisor",
    Role.REPORTING: "/listening",
}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
_PLACEHOLDER = re.compile(r"\{\{([a-z_.]+)\}\}")
ONE_YEAR_S = 365 * 24 * 3600


def add_pages(
    app: web.Application,
    *,
    presence_reasons: Sequence[str],
    quality: QualitySettings | None = None,
) -> None:
    """Add the pages to the API's app.  ``presence_reasons`` are the reasons an agent may
    choose (the configured ones, without the one the engine sets itself for a missed call);
    ``quality`` the listening page's scoring criteria."""
    pages = _Pages(tuple(presence_reasons), quality or QualitySettings())
    app.router.add_get("/", pages.login)
    app.router.add_get("/agent", pages.agent)
    app.router.add_get("/supervisor", pages.supervisor)
    app.router.add_get("/listening", pages.listening)
    app.router.add_get("/static/{name}", pages.static)
    # Outermost: it sees the guard's refusals after the API's middleware made them JSON.
    app.middlewares.insert(0, _browser_refusals)
    app.on_response_prepare.append(_security_headers)


class _Pages:
    def __init__(self, presence_reasons: tuple[str, ...], quality: QualitySettings) -> None:
        self.presence_reasons = presence_reasons
        self.quality = quality

    async def login(self, request: web.Request) -> web.Response:
        return render(request, "login")

    async def agent(self, request: web.Request) -> web.Response:
        return render(request, "agent", {"reasons": list(self.presence_reasons)})

    async def supervisor(self, request: web.Request) -> web.Response:
        return render(request, "supervisor", {"reasons": list(self.presence_reasons)})

    async def listening(self, request: web.Request) -> web.Response:
        language, _ = chosen(request)
        who: Principal | None = request.get(PRINCIPAL)
        criteria = [
            {"id": c.id, "label": c.label_en if language == "en" else c.label_nl}
            for c in self.quality.criteria
        ]
        data = {
            "criteria": criteria,
            "scale_max": self.quality.scale_max,
            # The hold button: supervisors (and admins) keep a recording past retention.
            "may_hold": who is not None and who.role in (Role.SUPERVISOR, Role.ADMIN),
            "home": HOME.get(who.role) if who is not None and who.role is not None else None,
        }
        return render(request, "listening", data)

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        found = _static_files().get(name)
        if found is None:
            raise web.HTTPNotFound()
        body, content_type = found
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            # Assets change only with the package: revalidate cheaply, never serve stale.
            headers={"Cache-Control": "no-cache"},
        )


@cache
def _static_files() -> dict[str, tuple[bytes, str]]:
    found = {}
    for entry in files("acd.web").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if suffix in STATIC_TYPES:
            found[entry.name] = (entry.read_bytes(), STATIC_TYPES[suffix])
    return found


@cache
def _template(name: str) -> str:
    return files("acd.web").joinpath("templates", f"{name}.html").read_text("utf-8")


def render(
    request: web.Request, name: str, data: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    """The template ``name`` in the request's language: ``{{key}}`` is the catalogue's text
    for key (escaped); ``{{page_data}}`` the JSON block the page's script reads."""
    language, asked = chosen(request)
    messages = catalogue(language)
    page_data = {"lang": language, "messages": messages, **(data or {})}
    # "</" cannot end the JSON block early once its slash is escaped.
    block = json.dumps(page_data, ensure_ascii=False).replace("</", "<\\/")

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "page_data":
            return block
        if key == "lang":
            return language
        return html.escape(messages.get(key, key))

    response = web.Response(
        text=_PLACEHOLDER.sub(fill, _template(name)),
        content_type="text/html",
        charset="utf-8",
        status=status,
        headers={"Cache-Control": "no-store"},
    )
    if asked:
        response.set_cookie(COOKIE, language, max_age=ONE_YEAR_S, path="/", samesite="Lax")
    return response


@web.middleware
async def _browser_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path not in PAGES or response.status not in (401, 403):
        return response
    if response.status == 401:
        raise web.HTTPSeeOther(f"/?next={quote(request.path)}")
    who: Principal | None = request.get(PRINCIPAL)
    home = HOME.get(who.role) if who is not None and who.role is not None else None
    return render(request, "forbidden", {"home": home}, status=403)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
