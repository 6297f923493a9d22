"""Serving the HTTP API: the listening socket bound before anything else starts (a taken port
is said before the engine touches the PBX), HTTPS when configured, and requests aiohttp refuses
before any handler runs (a URL over 8,190 bytes, a malformed request line) answered in the API's
JSON error format instead of aiohttp's plain text."""

from __future__ import annotations

import errno
import json
import logging
import socket
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from acd.settings import Settings
from acd.settings.tls import is_loopback, server_context
from foundation.errors import StartupRefused

log = logging.getLogger(__name__)

# aiohttp's limit on the request line and each header (its max_line_size / max_field_size).
MAX_LINE = 8190


def bind_listener(settings: Settings) -> socket.socket:
    """A socket bound to ``http.listen`` and listening; raises :class:`StartupRefused` (one
    line) if the address is taken or cannot be used.  A name is bound at its first address
    (``localhost``: usually 127.0.0.1)."""
    host, port = settings.http.host, settings.http.port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise StartupRefused(f"http.listen {settings.http.listen}: {_reason(exc)}") from None
    try:
        # As aiohttp's own sites do: a restarted engine can bind at once over old TIME_WAITs.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise StartupRefused(
            f"http.listen {settings.http.listen}: {_reason(exc)} (is another acd running?)"
            if exc.errno == errno.EADDRINUSE
            else f"http.listen {settings.http.listen}: {_reason(exc)}"
        ) from None
    sock.setblocking(False)
    # Beyond loopback without TLS the settings were refused unless allow_plain_http: say it.
    if not settings.http.tls and not is_loopback(host):
        log.warning(
            "HTTP API on %s is plain HTTP beyond loopback (http.allow_plain_http): passwords, "
            "session cookies and tokens cross the network in the clear; set http.tls_cert and "
            "http.tls_key",
            settings.http.listen,
        )
    return sock


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


async def serve(app: web.Application, sock: socket.socket, settings: Settings) -> JsonErrorRunner:
    """Serve ``app`` on ``sock`` (HTTPS when the settings have a certificate); the caller
    cleans the returned runner up."""
    runner = JsonErrorRunner(app, access_log=None)
    await runner.setup()
    http = settings.http
    ssl_context = (
        server_context(http.tls_cert, http.tls_key)
        if http.tls_cert is not None and http.tls_key is not None
        else None
    )
    try:
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def base_url(sock: socket.socket, settings: Settings) -> str:
    port = sock.getsockname()[1]
    host = settings.http.host
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if settings.http.tls else 'http'}://{shown}:{port}"


class JsonErrorRunner(web.AppRunner):
    """An :class:`aiohttp.web.AppRunner` whose connections answer requests aiohttp cannot
    parse in the API's JSON error format."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # aiohttp builds the protocol per connection in Server.__call__ and offers no hook for
        # the parse-error reply: swap in a subclass (Server has no __slots__, nor state of its
        # own beyond what the subclass inherits).
        server.__class__ = _JsonErrorServer
        return server


class _JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class _JsonErrorHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            # As aiohttp's own: part of a response went out, the connection is broken.
            raise ConnectionError("response already sent, cannot send the error message")
        error_id, text = _parse_error(status, exc)
        # One line, without the request's bytes (aiohttp would log them, and a URL or a
        # header may hold a token): who, and what was wrong.
        log.info("HTTP request from %s refused: %s %s", request.remote, status, error_id)
        body: dict[str, Any] = {"status": status, "error": error_id, "message": text, "details": {}}
        response = web.Response(
            status=status, text=json.dumps(body), content_type="application/json"
        )
        response.force_close()
        return response


def _parse_error(status: int, exc: BaseException | None) -> tuple[str, str]:
    if status != 400:
        if exc is not None:
            log.error("HTTP request failed before its handler", exc_info=exc)
        return "internal_error", "the request failed; see the engine log"
    if isinstance(exc, LineTooLong):
        return (
            "request_too_long",
            f"the URL or a header is longer than {MAX_LINE} bytes: send data in the request "
            "body, not in the URL",
        )
    if isinstance(exc, BadHttpMethod):
        return "bad_request", "the request is not HTTP (HTTPS sent to a plain HTTP port?)"
    return "bad_request", "the request is not valid HTTP"
