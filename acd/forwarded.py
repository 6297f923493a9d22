"""The client's address and scheme behind a reverse proxy, from ``X-Forwarded-*`` headers that
only the proxies named in ``http.trusted_proxies`` may set.

Behind a TLS-terminating proxy the engine sees the proxy's address and plain HTTP: the audit
log, the login lockout per address, the session cookie's Secure flag and the Origin check all
need the client's view instead.  A header from any other peer is ignored, never believed: a
client could otherwise pick the address its failed logins are counted against.

``X-Forwarded-For`` is read from the right (each proxy appends the address it saw) past the
trusted proxies; the first address that is not one is the client.  ``X-Forwarded-Proto`` and
``X-Forwarded-Host`` are taken from the right too: the value our nearest proxy set.
(``aiohttp-remotes`` was looked at: its filtered variant believes any peer, its strict one
wants a fixed number of hops per request.)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware

from foundation.networks import Network
from foundation.networks import is_trusted as _trusted

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def _last(request: web.Request, header: str) -> str | None:
    values = [v.strip() for h in request.headers.getall(header, []) for v in h.split(",")]
    return values[-1] if values and values[-1] else None


def client_view(request: web.Request, networks: Sequence[Network]) -> dict[str, str]:
    """The overrides for ``request.clone``: remote, scheme and host as the client saw them
    (empty when the peer is not a trusted proxy, or it forwarded nothing)."""
    if not _trusted(request.remote, networks):
        return {}
    overrides: dict[str, str] = {}
    hops = [v.strip() for h in request.headers.getall("X-Forwarded-For", []) for v in h.split(",")]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage a client wrote before our proxy appended: stop at the last known
        overrides["remote"] = hop
        if not _trusted(hop, networks):
            break
    proto = _last(request, "X-Forwarded-Proto")
    if proto in ("http", "https"):
        overrides["scheme"] = proto
    host = _last(request, "X-Forwarded-Host")
    if host is not None and _HOST.fullmatch(host):
        overrides["host"] = host
    return overrides


def forwarded_middleware(networks: Sequence[Network]) -> Middleware:
    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        overrides = client_view(request, networks)
        if not overrides:
            return await handler(request)
        return await handler(request.clone(**overrides))  # type: ignore[arg-type]

    return forwarded
