"""Where ARI REST traffic meets HTTP, and the one translation of its answers and failures.

Rules of this module: every failure of a request, whatever layer it comes from (refused
connection, reset socket, timeout, an HTTP error status, a body that is not JSON), leaves here
as an :class:`~foundation.errors.AriError` subclass, translated in :func:`error_for_status`,
:func:`answer_body` or a transport's ``_send`` (aiohttp's here, the lean client's in
:mod:`acd.ari.http11`); nothing above sees an aiohttp or socket exception.  Ids are
always quoted as single path segments (Local channel ids end in ``;2``).  All parameters go in
the query string, as the recorded traces show, except ``variables``, which ARI only takes in a
JSON body.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from foundation.errors import (
    AriAllocationFailed,
    AriBadRequest,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnavailable,
    AriWrongState,
)

log = logging.getLogger(__name__)

ParamValue = str | int | bool | Sequence[str] | None
Params = Mapping[str, ParamValue]

DEFAULT_TIMEOUT_S = 10.0
# Asterisk's HTTP server takes at most ``sessionlimit`` (http.conf, default 100) connections at
# once, the events WebSocket included, and refuses the rest: a pool as large as aiohttp's
# default (100) meets that limit under load.  Twenty kept-alive connections carry hundreds of
# requests per second on loopback.
DEFAULT_MAX_CONNECTIONS = 20
# Idle pooled connections are closed before Asterisk's own ``session_keep_alive`` (15 s) would
# close them under us: a request never goes out on a socket the server is closing.
KEEPALIVE_S = 10.0

_STATUS_ERRORS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    403: AriUnauthorized,
    404: AriNotFound,
    409: AriWrongState,
    412: AriWrongState,
    422: AriWrongState,
}

# Asterisk answers 500 {"error": "Allocation failed"} when the endpoint or technology of an
# originate cannot be dialled; the engine treats that like a failed agent leg, not an outage.
_ALLOCATION_FAILED = "allocation failed"
_NOT_IMPLEMENTED = 501


# A path segment of only these characters is its own quoting (RFC 3986 unreserved): the ids
# the engine makes and Asterisk's ``1795390452.1`` skip urllib's quote, a few microseconds
# each, several per request.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def ari_path(*segments: str) -> str:
    """``/ari/<segment>/...`` with every segment quoted, so an id can never add a path level."""
    # A list, not a generator: join makes one anyway, and each step of a generator is a call.
    return "/ari/" + "/".join([s if _UNRESERVED(s) else quote(s, safe="") for s in segments])


def encode_params(params: Params) -> dict[str, str]:
    """Query parameters as ARI reads them: lists comma-joined, booleans lower case, no None."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, int | str):
            out[key] = str(value)
        else:
            out[key] = ",".join(value)
    return out


def error_message(body: object) -> str:
    """Asterisk's explanation: bodies are ``{"message": ...}`` or ``{"error": ...}``."""
    if isinstance(body, Mapping):
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
        return json.dumps(body)[:200]
    if body is None:
        return ""
    return str(body)[:200]


def error_for_status(status: int, body: object, method: str, path: str) -> AriError:
    """The most specific :class:`AriError` for an HTTP error answer from ARI."""
    message = error_message(body)
    cls: type[AriError]
    if status in _STATUS_ERRORS:
        cls = _STATUS_ERRORS[status]
    elif status == 500 and message.strip().lower() == _ALLOCATION_FAILED:
        cls = AriAllocationFailed
    elif status >= 500:
        cls = AriServerError
    elif status >= 400:
        # A 4xx ARI does not document (405, 413, ...) is still a request ARI refused.
        cls = AriBadRequest
    else:
        cls = AriError
    return cls(status, message, method, path)


class HttpTransportBase:
    """What both HTTP transports share: parameters encoded once, and idempotent GETs retried
    once after a connection failure (not after a timeout), because the usual cause is a pooled
    keep-alive connection the server has closed.  Subclasses send one request in ``_send`` and
    translate its failures into :class:`~foundation.errors.AriUnavailable`."""

    _retry_gets: bool = True

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any:
        query = encode_params(params) if params else {}
        try:
            return await self._send(method, path, query, json_body)
        except AriUnavailable as exc:
            # Not after a timeout: a server that did not answer in time will not answer a
            # second time either, and the caller would wait twice as long to learn it.
            timed_out = isinstance(exc.__cause__, TimeoutError)
            if method != "GET" or not self._retry_gets or timed_out:
                raise
            log.info("ARI %s %s: retrying once after a connection failure", method, path)
            return await self._send(method, path, query, json_body)

    async def _send(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        json_body: Mapping[str, Any] | None,
    ) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class RestTransport(HttpTransportBase):
    """Sends one ARI request through aiohttp and returns its decoded JSON body (None for an
    empty answer).  The engine's default is the leaner :class:`acd.ari.http11.Http11Transport`
    (``ari.http_client``); this one stays for a ``session`` passed in and as the reference the
    lean client is measured and tested against.

    ``session`` is the transport seam: pass one to share a connection pool or to point the
    client at a test server; a session passed in is not closed here (nor limited: its own
    connector decides).  A session made here keeps at most ``max_connections`` connections to
    Asterisk, kept alive and reused; further requests wait for a free one.  The per-request timeout
    runs on the event loop's clock.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_gets: bool = True,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections: must be at least 1, not {max_connections}")
        self._base = URL(base_url.rstrip("/"))
        self._headers = {"Authorization": basic_auth(username, password)}
        self._session = session
        self._owns_session = session is None
        self._timeout_s = timeout_s
        self._retry_gets = retry_gets
        self._max_connections = max_connections

    @property
    def base_url(self) -> URL:
        return self._base

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _client_session(self) -> aiohttp.ClientSession:
        # Created lazily: a ClientSession must be made inside the running loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._max_connections,
                keepalive_timeout=KEEPALIVE_S,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=None)
            )
            self._owns_session = True
        return self._session

    async def _send(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        json_body: Mapping[str, Any] | None,
    ) -> Any:
        # Keeps a path prefix of the base URL (Asterisk behind a reverse proxy).
        full_path = self._base.raw_path.rstrip("/") + path
        url = self._base.with_path(full_path, encoded=True).with_query(query)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._client_session().request(
                    method, url, headers=self._headers, json=json_body
                ) as resp:
                    status = resp.status
                    raw = await resp.read()
        except TimeoutError as exc:
            # aiohttp's own socket timeouts are TimeoutError subclasses too.
            raise unavailable(f"no answer within {self._timeout_s:g} s", method, path) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise unavailable(f"{type(exc).__name__}: {exc}", method, path) from exc
        return answer_body(status, raw, method, path, (loop.time() - started) * 1000)

    async def fetch_file(self, path: str) -> tuple[bytes, str]:
        """GET a file (not JSON): its bytes and ``Content-Type``.  The same errors as
        :meth:`request`; not retried (a file can be large, and the caller can ask again)."""
        url = self._base.with_path(self._base.raw_path.rstrip("/") + path, encoded=True)
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._client_session().get(url, headers=self._headers) as resp:
                    status, content_type, raw = resp.status, resp.content_type, await resp.read()
        except TimeoutError as exc:
            raise AriUnavailable(0, f"no answer within {self._timeout_s:g} s", "GET", path) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise AriUnavailable(0, f"{type(exc).__name__}: {exc}", "GET", path) from exc
        if status >= 300:
            elapsed_ms = (asyncio.get_running_loop().time() - started) * 1000
            answer_body(status, raw, "GET", path, elapsed_ms)  # raises the status's AriError
        return raw, content_type


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` header value for ARI's user and password."""
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {credentials}"


def unavailable(reason: str, method: str, path: str) -> AriUnavailable:
    """The error for a request that got no answer (logged here: both transports say it alike)."""
    error = AriUnavailable(0, reason, method, path)
    log.warning("%s", error)
    return error


def answer_body(status: int, raw: bytes | str, method: str, path: str, elapsed_ms: float) -> Any:
    """The decoded body of an ARI answer, or the :class:`AriError` its status means.

    The one translation of an answer for both transports (HTTP here, WebSocket in
    :mod:`acd.ari.ws_rest`): the same status and body raise the same error either way."""
    body = _decode(raw)
    if status >= 300:
        ari_error = error_for_status(status, body, method, path)
        _log_error(ari_error, elapsed_ms)
        raise ari_error
    log.debug("ARI %s %s -> %d (%.1f ms)", method, path, status, elapsed_ms)
    if isinstance(body, _Undecodable):
        raise AriServerError(status, f"answer is not JSON: {body.text[:200]}", method, path)
    return body


class _Undecodable:
    """A body that is not JSON (a proxy's HTML page, say): kept as text for the message."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _decode(raw: bytes | str) -> Any:
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except ValueError:  # orjson.JSONDecodeError is one; so is a body that is not UTF-8
        text = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
        return _Undecodable(text)


def _log_error(error: AriError, elapsed_ms: float) -> None:
    # A 404 is usually a channel that just hung up: routine, so debug.  Other refusals point
    # at a state race or a bug in the request; a 5xx is Asterisk in trouble, except a 501: a
    # resource this Asterisk lacks (its caller decides how much that matters).
    if isinstance(error, AriNotFound):
        level = logging.DEBUG
    elif error.status >= 500 and error.status != _NOT_IMPLEMENTED:
        level = logging.WARNING
    else:
        level = logging.INFO
    log.log(level, "ARI %s (%.1f ms)", error, elapsed_ms)
