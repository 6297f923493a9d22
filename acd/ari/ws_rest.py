"""ARI REST requests over the events WebSocket (Asterisk 22.5+, 20.15+: "REST over WebSocket").

Why: each HTTP request costs the engine an aiohttp client round (headers, pool, response
object) and costs Asterisk an HTTP parse and a thread hand-off; a ``RESTRequest`` message on
the WebSocket the engine already keeps open costs one JSON frame each way (docs/performance.md).

Rules (seen on the real Asterisk 22.10.1, tests/data/ari-traces/rest_over_ws.jsonl):

- A request is ``{"type": "RESTRequest", "request_id", "method", "uri", "query_strings",
  "content_type", "message_body"}`` where ``uri`` is the path under ``/ari/`` *without* a
  leading slash (``/ari/...`` is answered 405), parameters go as ``query_strings``
  (``[{"name", "value"}]``, values as ARI reads them, never percent-encoded) and a JSON body as
  the string ``message_body``.  The answer is a ``RESTResponse`` with the same ``request_id``,
  ``status_code`` and the body as the string ``message_body`` (absent for a 204).
- Status and body are translated by :func:`acd.ari.rest.answer_body`, the same function as
  for HTTP: the engine cannot tell the transports apart by their errors.
- Every request carries an id unique for this process's lifetime (a random prefix and a
  counter that never restarts), and an answer is matched only by that id, so a late answer
  (after a timeout, or on a later connection) is dropped, never given to another request.
- With no connection (before the first, between reconnects) a request fails at once with
  :class:`~foundation.errors.AriUnavailable`, as an HTTP request to a stopped Asterisk does;
  when the socket drops, every pending request fails with it.  A request that gets no answer
  within ``timeout_s`` fails with it too, its cause a :class:`TimeoutError`.
- Answers pass through the application's event filter as events of type ``RESTResponse``
  (:data:`RESPONSE_EVENT`): an ``allowed`` list must name it, or no request is ever answered.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from acd.ari.rest import DEFAULT_TIMEOUT_S, Params, answer_body, encode_params
from foundation.errors import AriUnavailable

log = logging.getLogger(__name__)

_ARI_PREFIX = "/ari/"
# The answers are events of this type to the application's event filter: an allowed list
# without it swallows every answer (rest_over_ws.jsonl), so the engine's list must name it.
RESPONSE_EVENT = "RESTResponse"


class TextSocket(Protocol):
    """What this module needs of a WebSocket (aiohttp's client socket has it)."""

    async def send_str(self, data: str) -> None: ...


@dataclass(slots=True)
class _Pending:
    method: str
    path: str
    started: float
    answer: asyncio.Future[tuple[int, str]]


class WsRestTransport:
    """Sends ARI requests on the socket :class:`~acd.ari.stream.EventStream` keeps open.

    The stream calls :meth:`attach` when a connection opens (before its ``on_connected``
    hook, which resynchronises over REST), :meth:`deliver` for every ``RESTResponse`` it reads,
    and :meth:`detach` when the connection ends."""

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        self._socket: TextSocket | None = None
        self._pending: dict[str, _Pending] = {}
        self._prefix = secrets.token_hex(4) + "-"
        self._counter = itertools.count(1)
        self.late_answers = 0  # answers that came after their request gave up

    @property
    def connected(self) -> bool:
        return self._socket is not None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def attach(self, socket: TextSocket) -> None:
        self._socket = socket

    def detach(self, reason: str) -> None:
        """The connection ended: fail every request still waiting for its answer."""
        self._socket = None
        pending, self._pending = self._pending, {}
        for p in pending.values():
            if not p.answer.done():
                error = AriUnavailable(0, f"ARI WebSocket lost: {reason}", p.method, p.path)
                p.answer.set_exception(error)
        if pending:
            log.warning("ARI WebSocket lost (%s): %d requests failed", reason, len(pending))

    async def close(self) -> None:
        self.detach("closed")

    def deliver(self, message: Mapping[str, Any]) -> None:
        """A ``RESTResponse`` from the socket: complete the request with its id, if any waits."""
        pending = self._pending.pop(str(message.get("request_id", "")), None)
        if pending is None:
            self.late_answers += 1
            log.debug("ARI answer for no waiting request: %.200s", message)
            return
        if pending.answer.done():
            return  # its request was cancelled meanwhile
        status = message.get("status_code")
        body = message.get("message_body")
        if not isinstance(status, int) or not isinstance(body, str | None):
            error = AriUnavailable(0, "malformed RESTResponse", pending.method, pending.path)
            pending.answer.set_exception(error)
            return
        pending.answer.set_result((status, body or ""))

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any:
        socket = self._socket
        if socket is None:
            raise AriUnavailable(0, "ARI WebSocket not connected", method, path)
        request_id = f"{self._prefix}{next(self._counter)}"
        message: dict[str, Any] = {
            "type": "RESTRequest",
            "request_id": request_id,
            "method": method,
            "uri": path.removeprefix(_ARI_PREFIX),
        }
        query = encode_params(params or {})
        if query:
            message["query_strings"] = [{"name": k, "value": v} for k, v in query.items()]
        if json_body is not None:
            message["content_type"] = "application/json"
            message["message_body"] = orjson.dumps(json_body).decode()
        loop = asyncio.get_running_loop()
        pending = _Pending(method, path, loop.time(), loop.create_future())
        self._pending[request_id] = pending
        try:
            await socket.send_str(orjson.dumps(message).decode())
            async with asyncio.timeout(self._timeout_s):
                status, raw = await pending.answer
        except TimeoutError as exc:
            error = AriUnavailable(0, f"no answer within {self._timeout_s:g} s", method, path)
            log.warning("%s", error)
            raise error from exc
        except ConnectionError as exc:
            # aiohttp raises ClientConnectionResetError (a ConnectionError) on a closing socket.
            error = AriUnavailable(0, f"{type(exc).__name__}: {exc}", method, path)
            log.warning("%s", error)
            raise error from exc
        finally:
            self._pending.pop(request_id, None)
        return answer_body(status, raw, method, path, (loop.time() - pending.started) * 1000)
