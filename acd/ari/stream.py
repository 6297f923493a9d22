"""The ARI events WebSocket: one reader task that keeps a connection up and delivers events.

Rules of this module:

- Events are delivered one at a time, in the order Asterisk sent them, to a synchronous
  ``on_event`` callback (the engine core is sans-I/O).  An exception from it is logged and the
  next event is delivered.
- After every (re)connection, ``on_connected(first)`` is awaited *before* any event of the new
  connection is delivered; events that arrive meanwhile wait in the socket's buffer.  Asterisk
  replays nothing after a reconnect (ws_reconnect.jsonl), so this hook is where the engine
  resynchronises over REST.  If it raises, the connection is dropped and retried with backoff,
  and ``first`` stays True until one call has succeeded.
- Unknown event types (debug) and malformed messages (warning) are logged and never delivered;
  nothing a peer sends can end the reader.
- Reconnects use exponential backoff with jitter on the loop's clock, reset after a connection
  that stayed up for ``healthy_after_s``.  ``ApplicationReplaced`` on the current connection
  means another process took the app: it is delivered, logged as an error, and the next attempt
  waits ``replaced_backoff_s`` so two engines do not keep stealing the app from each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from acd.ari.events import ApplicationReplaced, AriEvent, MalformedEvent, UnknownEvent, parse_event
from acd.ari.ws_rest import WsRestTransport
from acd.outages import Outage

log = logging.getLogger(__name__)

OnEvent = Callable[[AriEvent], None]
OnConnected = Callable[[bool], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``min_s * 2**attempt`` capped at ``max_s``, stretched by up to
    ``jitter`` (a fraction) but never beyond ``max_s``, so the bounds always hold."""

    min_s: float = 0.5
    max_s: float = 30.0
    jitter: float = 0.25

    def delay(self, attempt: int, rand: float) -> float:
        """``rand`` in [0, 1) comes from the caller's RNG so tests can fix it."""
        base = min(self.max_s, self.min_s * 2.0 ** min(attempt, 32))
        return min(self.max_s, base * (1 + self.jitter * rand))


@dataclass(slots=True)
class StreamStats:
    connects: int = 0
    reconnects: int = 0
    events_received: int = 0  # every message, parsed or not
    events_delivered: int = 0
    events_unknown: int = 0
    events_malformed: int = 0
    callback_errors: int = 0


class _Ended(enum.Enum):
    FAILED = "failed"  # no connection was made
    DROPPED = "dropped"
    REPLACED = "replaced"


class EventStream:
    """Keeps ``GET /ari/events?app=<app>`` open and feeds its events to the engine.

    Use as ``async with EventStream(...) as stream:`` or call :meth:`start` and :meth:`stop`.
    ``session`` is the transport seam, as for :class:`~acd.ari.client.AriClient`.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        on_event: OnEvent,
        on_connected: OnConnected | None = None,
        session: aiohttp.ClientSession | None = None,
        backoff: Backoff | None = None,
        replaced_backoff_s: float = 60.0,
        healthy_after_s: float = 10.0,
        heartbeat_s: float = 10.0,
        connect_timeout_s: float = 10.0,
        subscribe_all: bool = False,
        rng: random.Random | None = None,
        rest: WsRestTransport | None = None,
        outage: Outage | None = None,
    ) -> None:
        self.app = app
        # Down from a drop or a failed first connection until on_connected has run again: one
        # log line each way; the attempts in between log at DEBUG only.
        self.outage = outage or Outage("ari")
        self.stats = StreamStats()
        self._url = _events_url(base_url, app, subscribe_all)
        self._api_key = f"{username}:{password}"
        self._on_event = on_event
        self._on_connected = on_connected
        self._session = session
        self._owns_session = session is None
        self._backoff = backoff or Backoff()
        self._replaced_backoff_s = replaced_backoff_s
        self._healthy_after_s = healthy_after_s
        self._heartbeat_s = heartbeat_s
        self._connect_timeout_s = connect_timeout_s
        self._rng = rng or random.Random()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._generation = 0
        self._first = True
        self._rest = rest
        self._live: int | None = None  # the connection whose events go straight to the engine

    # -- public -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while a connection is open and its ``on_connected`` hook has completed."""
        return self._ready.is_set()

    @property
    def events_received(self) -> int:
        return self.stats.events_received

    @property
    def reconnects(self) -> int:
        return self.stats.reconnects

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            raise RuntimeError("EventStream already started")
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"ari-events-{self.app}"
        )

    async def stop(self) -> None:
        """Close the connection and end the reader; safe to call twice or before start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # From inside the reader (an on_connected hook stopping it) cancel is enough.
            if task is not asyncio.current_task():
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def wait_connected(self, timeout_s: float | None = None) -> None:
        """Wait until :attr:`connected`; raises TimeoutError after ``timeout_s`` (loop clock)."""
        async with asyncio.timeout(timeout_s):
            await self._ready.wait()

    async def __aenter__(self) -> EventStream:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- the reader task ----------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                ended, healthy = await self._connect_and_serve()
            except Exception:
                # A bug must not end the reader: the engine would go deaf without a sign.
                log.exception("ARI events for %r: unexpected error in the reader", self.app)
                ended, healthy = _Ended.FAILED, False
            if healthy:
                failures = 0
            if ended is _Ended.REPLACED:
                delay = self._replaced_backoff_s * (1 + self._backoff.jitter * self._rng.random())
            else:
                delay = self._backoff.delay(failures, self._rng.random())
                failures += 1
            level = logging.INFO if failures <= 1 else logging.DEBUG
            log.log(level, "ARI events for %r: reconnecting in %.2f s", self.app, delay)
            await asyncio.sleep(delay)

    async def _connect_and_serve(self) -> tuple[_Ended, bool]:
        """How the attempt ended, and whether the connection stayed up long enough to count
        as healthy (which resets the backoff)."""
        ws = await self._connect()
        if ws is None:
            return _Ended.FAILED, False
        loop = asyncio.get_running_loop()
        opened_at = loop.time()
        ended = await self._serve(ws)
        return ended, loop.time() - opened_at >= self._healthy_after_s

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _connect(self) -> aiohttp.ClientWebSocketResponse | None:
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                return await self._client_session().ws_connect(
                    self._url.update_query(api_key=self._api_key),
                    heartbeat=self._heartbeat_s,
                )
        except aiohttp.WSServerHandshakeError as exc:
            level = logging.ERROR if exc.status in (401, 403) else logging.WARNING
            self._failed(level, f"ARI events {self._url} refused: {exc.status} {exc.message}")
        except TimeoutError:
            self._failed(
                logging.WARNING,
                f"ARI events {self._url}: no answer within {self._connect_timeout_s:g} s",
            )
        except (aiohttp.ClientError, OSError) as exc:
            # Some of aiohttp's errors quote the URL they tried, api_key (the password) included.
            said = str(exc)
            for secret in {self._api_key, quote(self._api_key, safe=""), quote(self._api_key)}:
                said = said.replace(secret, "***")
            self._failed(logging.WARNING, f"ARI events {self._url}: {type(exc).__name__}: {said}")
        return None

    def _failed(self, level: int, said: str) -> None:
        """A connection attempt failed: said at ``level`` when it starts an outage (or is a
        refusal of the credentials, which retrying will not mend), else at DEBUG."""
        if self.outage.up or level >= logging.ERROR:
            log.log(level, "%s", said)
        else:
            log.debug("%s", said)
        self.outage.failed(said)

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> _Ended:
        self._generation += 1
        generation = self._generation
        self.stats.connects += 1
        if self.stats.connects > 1:
            self.stats.reconnects += 1
        log.info("ARI events for %r connected (connection %d)", self.app, generation)
        # The socket is drained from the start, even while on_connected resynchronises: left
        # unread, aiohttp would stop reading the TCP socket, and Asterisk drops a client it
        # cannot write to within its websocket_write_timeout.  What arrives meanwhile waits in
        # ``early``; after that the reading task hands each event to the engine itself (one
        # task wake-up per event, not two).
        early: list[_Received] = []
        self._live = None
        pump = asyncio.get_running_loop().create_task(self._pump(ws, early, generation))
        if self._rest is not None:
            self._rest.attach(ws)  # before on_connected, which resynchronises over REST
        try:
            if not await self._run_on_connected():
                return _Ended.DROPPED
            self._ready.set()
            self.outage.recovered(f"connection {generation}, resynchronised from ARI")
            for msg, raw in early:
                ended = self._message(ws, msg, raw, generation)
                if ended is not None:
                    return ended
            early.clear()
            self._live = generation  # no await since the last early message: none is skipped
            return await pump
        finally:
            self._live = None
            self._ready.clear()
            if self._rest is not None:
                self._rest.detach(f"connection {generation} ended")
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await ws.close()

    async def _run_on_connected(self) -> bool:
        if self._on_connected is None:
            self._first = False
            return True
        try:
            await self._on_connected(self._first)
        except Exception:
            log.exception(
                "ARI events for %r: on_connected failed; dropping the connection", self.app
            )
            return False
        self._first = False
        return True

    async def _pump(
        self, ws: aiohttp.ClientWebSocketResponse, early: list[_Received], generation: int
    ) -> _Ended:
        """Read the socket until the message that ends the connection: events into ``early``
        until the connection is live, then straight to the engine.  Answers to REST requests
        (``RESTResponse``) go to the REST transport at once: the ``on_connected`` hook waits
        for them while events are not yet taken."""
        rest = self._rest
        while True:
            msg = await ws.receive()
            raw = _decode(msg.data) if msg.type is aiohttp.WSMsgType.TEXT else None
            if rest is not None and raw is not None and raw.get("type") == "RESTResponse":
                rest.deliver(raw)
                continue
            closing = msg.type is aiohttp.WSMsgType.ERROR or msg.type in _CLOSED
            if closing and rest is not None:
                # At once, not when the events get there: on_connected may be waiting for one
                # of these answers.
                rest.detach(f"connection {msg.type.name.lower()}")
            if self._live == generation:
                ended = self._message(ws, msg, raw, generation)
                if ended is not None:
                    return ended
            else:
                early.append((msg, raw))
                if closing:
                    return _Ended.DROPPED  # said when the early messages are handled

    def _message(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        msg: aiohttp.WSMessage,
        raw: dict[str, Any] | None,
        generation: int,
    ) -> _Ended | None:
        """One message of a live connection; how the connection ended, if it did."""
        if msg.type is aiohttp.WSMsgType.TEXT:
            return self._handle_text(msg.data, raw, generation)
        if msg.type is aiohttp.WSMsgType.ERROR:
            self.outage.failed(f"ARI events for {self.app!r}: failed: {ws.exception()}")
            return _Ended.DROPPED
        if msg.type in _CLOSED:
            self.outage.failed(f"ARI events for {self.app!r}: closed ({ws.close_code})")
            return _Ended.DROPPED
        log.warning("ARI events for %r: ignoring a %s message", self.app, msg.type.name)
        return None

    def _handle_text(self, text: str, raw: dict[str, Any] | None, generation: int) -> _Ended | None:
        """Parse and deliver one message (decoded by the pump); ``REPLACED`` ends the
        connection."""
        self.stats.events_received += 1
        if raw is None:
            self.stats.events_malformed += 1
            log.warning("ARI events for %r: not a JSON object: %.200s", self.app, text)
            return None
        event = parse_event(raw)
        if isinstance(event, UnknownEvent):
            self.stats.events_unknown += 1
            log.debug("ARI events for %r: ignoring unmodelled event %s", self.app, event.type)
            return None
        if isinstance(event, MalformedEvent):
            self.stats.events_malformed += 1
            log.warning(
                "ARI events for %r: malformed %s (%s): %.200s",
                self.app,
                event.type,
                event.error,
                text,
            )
            return None
        if isinstance(event, ApplicationReplaced):
            return self._replaced(event, generation)
        self._deliver(event)
        return None

    def _replaced(self, event: ApplicationReplaced, generation: int) -> _Ended | None:
        if generation != self._generation:
            # Our own reconnect superseded that socket; the app is still ours.
            log.info("ARI events for %r: ApplicationReplaced on an old connection", self.app)
            return None
        log.error(
            "ARI application %r was taken over by another connection (another engine?); "
            "retrying in %g s",
            self.app,
            self._replaced_backoff_s,
        )
        self._deliver(event)
        return _Ended.REPLACED

    def _deliver(self, event: AriEvent) -> None:
        self.stats.events_delivered += 1
        try:
            self._on_event(event)
        except Exception:
            self.stats.callback_errors += 1
            log.exception("ARI events for %r: on_event failed on %s", self.app, event.type)


_CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


# A message from the socket and, for a text message, its JSON object (None if it is not one).
_Received = tuple[aiohttp.WSMessage, dict[str, Any] | None]


def _events_url(base_url: str, app: str, subscribe_all: bool) -> URL:
    """``ws(s)://host/ari/events?app=...`` without the api_key, so it can be logged."""
    base = URL(base_url.rstrip("/"))
    scheme = "wss" if base.scheme == "https" else "ws"
    return (
        base.with_scheme(scheme)
        .with_path(base.raw_path.rstrip("/") + "/ari/events", encoded=True)
        .with_query({"app": app, "subscribeAll": "true" if subscribe_all else "false"})
    )


def _decode(text: str) -> dict[str, Any] | None:
    # orjson: decoding a recorded event into its typed form is 1.6x as fast as with the stdlib
    # json (bench/ari_decode.py); its JSONDecodeError is a ValueError.
    try:
        raw = orjson.loads(text)
    except ValueError:
        return None
    return raw if isinstance(raw, dict) else None
