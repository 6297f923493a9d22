"""A lean HTTP/1.1 client for ARI REST: kept-alive asyncio connections, one write per request.

Why not aiohttp here: at 20 calls/s its request machinery (request and response objects,
header multidicts, the connector, the payload writer) was the largest share of the engine's
CPU per call after the records were batched (docs/performance.md, "A lean HTTP client").  ARI
needs little of HTTP: one server, basic auth, small JSON bodies, answers that are always
length-delimited (``Content-Length``, seen on Asterisk 22: it never sends chunked answers,
though chunked ones are parsed too).  So a request here is one ``bytes`` built from a
precomputed header block and written in one ``transport.write``; the answer is parsed by
``httptools`` (llhttp, the parser of Node.js, kept by the uvloop authors) into status, body and
keep-alive, nothing more.

Rules:

- At most ``max_connections`` connections, open or opening; a request beyond that waits for
  one to come free (Asterisk refuses sessions beyond http.conf's ``sessionlimit``).
- A connection is reused while the server keeps it alive; one idle for ``keepalive_s`` (below
  Asterisk's own 15 s ``session_keep_alive``) is closed rather than reused, and one the server
  closed is dropped as soon as its EOF is read.
- A request whose answer does not come (timeout, cancellation) closes its connection: a late
  answer on it would be taken for the next request's.
- Failures become :class:`~foundation.errors.AriUnavailable` with the same messages and causes
  as the aiohttp transport's, answers go through :func:`acd.ari.rest.answer_body`: the engine
  cannot tell the two clients apart by their errors (tests/ari run against both).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections import deque
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httptools
import orjson

from acd.ari.rest import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT_S,
    KEEPALIVE_S,
    HttpTransportBase,
    answer_body,
    basic_auth,
    unavailable,
)

log = logging.getLogger(__name__)

# Characters left as they are in query values: what ARI's own examples show unencoded
# (``endpoint=PJSIP/agent1``, ``channel=a,b``); Asterisk decodes percent-escapes either way.
_QUERY_SAFE = "/:,@"

_Answer = tuple[int, bytes, bool]  # status, body, keep-alive
# Query values of only these characters need no quoting (unreserved plus _QUERY_SAFE).
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.~/:,@-]*").fullmatch


def query_string(query: Mapping[str, str]) -> str:
    """``k=v&...`` percent-encoded as urllib would, without its cost for plain names and
    values."""
    return "&".join([f"{_quoted(k)}={_quoted(v)}" for k, v in query.items()])  # as ari_path


def _quoted(text: str) -> str:
    return text if _PLAIN_VALUE(text) else quote(text, safe=_QUERY_SAFE)


class _Connection(asyncio.Protocol):
    """One kept-alive connection: at most one request in flight, its answer parsed by llhttp."""

    __slots__ = (
        "_chunks",
        "_headers_done",
        "_parser",
        "_pool",
        "_transport",
        "_waiter",
        "closed",
        "idle_since",
    )

    def __init__(self, pool: Http11Transport) -> None:
        self._pool = pool
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[_Answer] | None = None
        self._chunks: list[bytes] = []
        self._headers_done = False
        self.closed = False
        self.idle_since = 0.0

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._pool._opened(self)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            # Bytes nobody asked for (a late answer after a give-up, a server's farewell):
            # this connection can no longer be trusted to line answers up with requests.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"bad HTTP answer: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if exc is None and self._headers_done and not self._parser.should_keep_alive():
                # An answer delimited by the end of the connection (HTTP/1.0 style).
                self._waiter = None
                waiter.set_result((self._parser.get_status_code(), b"".join(self._chunks), False))
            else:
                self._fail(exc or ConnectionResetError("connection closed by the server"))
        self._pool._lost(self)

    # -- httptools callbacks ------------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            status = self._parser.get_status_code()
            waiter.set_result((status, b"".join(self._chunks), self._parser.should_keep_alive()))

    # -- used by the transport ----------------------------------------------------------------

    def send(self, data: bytes, waiter: asyncio.Future[_Answer]) -> None:
        if self.closed or self._transport is None:
            waiter.set_exception(ConnectionResetError("connection closed by the server"))
            return
        self._waiter = waiter
        self._chunks = []
        self._headers_done = False
        self._transport.write(data)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


def _expire(waiter: asyncio.Future[_Answer]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class Http11Transport(HttpTransportBase):
    """ARI requests over a pool of kept-alive HTTP/1.1 connections (``ari.http_client: lean``).

    Same interface and the same errors as :class:`acd.ari.rest.RestTransport`; the timeout
    covers waiting for a connection, connecting, sending and the whole answer, on the event
    loop's clock."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_gets: bool = True,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        keepalive_s: float = KEEPALIVE_S,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections: must be at least 1, not {max_connections}")
        url = urlsplit(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"ARI URL {base_url!r}: expected http(s)://host[:port][/prefix]")
        self._host = url.hostname
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl: ssl.SSLContext | None = None
        if url.scheme == "https":
            self._ssl = ssl_context or ssl.create_default_context()
        # Keeps a path prefix of the base URL (Asterisk behind a reverse proxy).
        self._prefix = url.path.rstrip("/")
        auth = basic_auth(username, password)
        head = f"Host: {url.netloc}\r\nAuthorization: {auth}\r\nUser-Agent: acd\r\n"
        self._head = head.encode() + b"\r\n"
        # Methods other than GET say they send nothing, as aiohttp does for POST and PUT.
        self._head_empty = head.encode() + b"Content-Length: 0\r\n\r\n"
        self._head_json = head.encode() + b"Content-Type: application/json\r\n"
        self._timeout_s = timeout_s
        self._retry_gets = retry_gets
        self._max = max_connections
        self._keepalive_s = keepalive_s
        self._idle: list[_Connection] = []  # last in, first out: the warmest socket first
        self._all: set[_Connection] = set()
        self._connecting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False
        # The loop of the first request, as its connections are: asyncio.get_running_loop()
        # makes a getpid() system call each time, some eight requests a call (issue 10).
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def connections(self) -> int:
        """Connections open now (idle or carrying a request)."""
        return len(self._all)

    async def close(self) -> None:
        self._closed = True
        for conn in list(self._all):
            conn.close()
        self._idle.clear()
        self._wake_all()

    async def _send(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        json_body: Mapping[str, Any] | None,
    ) -> Any:
        target = self._prefix + path
        if query:
            target += "?" + query_string(query)
        line = f"{method} {target} HTTP/1.1\r\n".encode()
        if json_body is not None:
            body = orjson.dumps(json_body)
            length = b"Content-Length: %d\r\n\r\n" % len(body)
            data = b"".join((line, self._head_json, length, body))
        elif method == "GET":
            data = line + self._head
        else:
            data = line + self._head_empty
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        started = loop.time()
        conn = self._idle_connection(started)
        waiter: asyncio.Future[_Answer] = loop.create_future()
        answered = False
        try:
            if conn is not None:
                # The usual case: a kept-alive connection is free.  One timer handle bounds
                # the wait, cheaper than an asyncio.timeout context per request.
                timer = loop.call_at(started + self._timeout_s, _expire, waiter)
                conn.send(data, waiter)
                try:
                    status, raw, keep_alive = await waiter
                finally:
                    timer.cancel()
            else:
                async with asyncio.timeout(self._timeout_s):
                    conn = await self._acquire(loop)
                    conn.send(data, waiter)
                    status, raw, keep_alive = await waiter
            answered = True
        except TimeoutError as exc:
            raise unavailable(f"no answer within {self._timeout_s:g} s", method, path) from exc
        except OSError as exc:  # refused, reset, closed by the server, a bad answer
            raise unavailable(f"{type(exc).__name__}: {exc}", method, path) from exc
        finally:
            if conn is not None:
                if answered and keep_alive and not self._closed:
                    self._release(conn, loop.time())
                else:
                    conn.close()  # its _lost frees the slot
        return answer_body(status, raw, method, path, (loop.time() - started) * 1000)

    # -- the pool -----------------------------------------------------------------------------

    def _idle_connection(self, now: float) -> _Connection | None:
        """The most recently used idle connection still fit to carry a request, if any."""
        idle = self._idle
        while idle:
            conn = idle.pop()
            if conn.closed:
                continue
            if now - conn.idle_since < self._keepalive_s:
                return conn
            conn.close()  # too old: the server may be closing it right now
        return None

    async def _acquire(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        while True:
            if self._closed:
                raise ConnectionError("ARI client closed")
            conn = self._idle_connection(loop.time())
            if conn is not None:
                return conn
            if len(self._all) + self._connecting < self._max:
                return await self._connect(loop)
            free: asyncio.Future[None] = loop.create_future()
            self._waiters.append(free)
            try:
                await free
            except asyncio.CancelledError:
                if free.done() and not free.cancelled():
                    self._wake()  # pass on the turn it was given
                else:
                    self._waiters.remove(free)
                raise

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        self._connecting += 1
        try:
            _, conn = await loop.create_connection(
                lambda: _Connection(self),
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl is not None else None,
            )
        finally:
            self._connecting -= 1
            if len(self._all) + self._connecting < self._max:
                self._wake()  # a failed attempt gives its slot back
        return conn

    def _release(self, conn: _Connection, now: float) -> None:
        if conn.closed:
            return
        conn.idle_since = now
        self._idle.append(conn)
        self._wake()

    def _opened(self, conn: _Connection) -> None:
        self._all.add(conn)

    def _lost(self, conn: _Connection) -> None:
        if conn in self._all:
            self._all.discard(conn)
            self._wake()

    def _wake(self) -> None:
        while self._waiters:
            free = self._waiters.popleft()
            if not free.done():
                free.set_result(None)
                return

    def _wake_all(self) -> None:
        while self._waiters:
            free = self._waiters.popleft()
            if not free.done():
                free.set_result(None)
