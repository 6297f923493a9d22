"""ARI REST requests sent as messages on the events WebSocket, answered as Asterisk 22 does.

What a real Asterisk 22.10.1 does (tests/data/ari-traces/rest_over_ws.jsonl):

- ``{"type": "RESTRequest", "transaction_id", "request_id", "method", "uri", "query_strings",
  "content_type", "message_body"}``: ``uri`` is the path under ``/ari/`` with no leading slash,
  optionally with a query string; ``query_strings`` (``[{"name", "value"}]``) adds parameters;
  a JSON body comes as the *string* ``message_body`` with ``content_type: application/json``.
- The answer is ``{"type": "RESTResponse", "transaction_id", "request_id", "status_code",
  "reason_phrase", "uri", "content_type", "message_body", "application", "timestamp",
  "asterisk_id"}``: ids echoed (``""`` when not given), ``uri`` without its query string,
  ``content_type`` and ``message_body`` only when there is a body (not for a 204).
- Refusals of the envelope itself: another ``type`` -> 400 "Unknown request type." (``uri``
  ``""``); an unknown or missing method -> 400 "Unknown or missing 'method' property."; a
  ``uri`` with a leading slash -> 405 "Invalid method"; a body that is not JSON -> 400
  "Unable to parse 'message_body' as 'application/json'."
- The answer passes through the application's event filter as an event of type
  ``RESTResponse``: an ``allowed`` list without it swallows every answer (the request is
  still carried out), the filter's own answer included.

The request goes through the same route handlers as over HTTP; the answer is queued on the
connection after the events the request caused (publishing is synchronous), so they arrive
first, as over HTTP where the server drains the sockets before it answers.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from yarl import URL

from emulator.bus import Connection
from emulator.errors import AriHttpError
from emulator.rest import PBX_KEY, STATE_KEY, RequestRecord

log = logging.getLogger(__name__)

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
# Asterisk's own phrases where they differ from the HTTP standard's.
_REASONS = {400: "Bad request"}


class _WsRequest:
    """Just what the route handlers read of an :class:`aiohttp.web.Request`."""

    def __init__(
        self, app: web.Application, method: str, path: str, query: MultiDict[str], body: str
    ) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.rel_url = URL.build(path=path)
        self.query = MultiDictProxy(query)
        self.match_info: Any = {}
        self._body = body

    @property
    def can_read_body(self) -> bool:
        return bool(self._body)

    async def text(self) -> str:
        return self._body


async def answer(app: web.Application, conn: Connection, text: str) -> None:
    """Handle one message from a client's events WebSocket and queue its ``RESTResponse``."""
    try:
        message = json.loads(text)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        log.debug("ignoring a WebSocket message that is not a JSON object: %.200s", text)
        return
    status, body, uri = await _handle(app, message)
    state = app[STATE_KEY]
    pbx = app[PBX_KEY]
    response: dict[str, Any] = {
        "type": "RESTResponse",
        "transaction_id": _text(message.get("transaction_id")),
        "request_id": _text(message.get("request_id")),
        "status_code": status,
        "reason_phrase": _reason(status),
        "uri": uri,
    }
    if body:
        response["content_type"] = "application/json"
        response["message_body"] = body
    application = conn.apps[0] if conn.apps else ""
    response["application"] = application
    response["timestamp"] = pbx.timestamp()
    response["asterisk_id"] = pbx.bus.asterisk_id
    # An answer is an event of type RESTResponse to the application's event filter: an
    # allowed list without that type swallows every answer, its own included.
    app_state = pbx.bus.apps.get(application)
    swallowed = app_state is not None and not app_state.allows("RESTResponse")
    if not swallowed and not conn.closed:
        conn.queue.put_nowait(json.dumps(response, separators=(",", ":")))
    state.request_log.append(
        RequestRecord(
            method=str(message.get("method", "")),
            path="/ari/" + uri,
            query=dict(_query(message)),
            body=_json_or_none(message.get("message_body")),
            status=status,
            at=pbx.now(),
        )
    )


async def _handle(app: web.Application, message: dict[str, Any]) -> tuple[int, str, str]:
    """Status, body text and ``uri`` (without its query) of the answer to ``message``."""
    if message.get("type") != "RESTRequest":
        return 400, _error("Unknown request type."), ""
    uri = _text(message.get("uri")).partition("?")[0]
    method = _text(message.get("method"))
    if method not in _METHODS:
        return 400, _error("Unknown or missing 'method' property."), uri
    if uri.startswith("/"):
        return 405, _error("Invalid method"), uri
    body = message.get("message_body")
    body_text = body if isinstance(body, str) else ""
    if body_text.strip() and _json_or_none(body_text) is None:
        return 400, _error("Unable to parse 'message_body' as 'application/json'."), uri
    request = _WsRequest(app, method, "/ari/" + uri, _query(message), body_text)
    match_info = await app.router.resolve(request)  # type: ignore[arg-type]
    if match_info.http_exception is not None:
        if isinstance(match_info.http_exception, web.HTTPMethodNotAllowed):
            return 405, _error("Invalid method"), uri
        return 404, _error("Resource not found"), uri
    request.match_info = match_info
    try:
        response = await match_info.handler(request)  # type: ignore[arg-type]
    except AriHttpError as exc:
        return exc.status, json.dumps(exc.body(), separators=(",", ":")), uri
    except Exception:
        log.exception("emulator failed on %s %s over the WebSocket", method, uri)
        return 500, _error("Internal emulator error"), uri
    text = response.text if isinstance(response, web.Response) else None
    return response.status, text or "", uri


def _query(message: dict[str, Any]) -> MultiDict[str]:
    query: MultiDict[str] = MultiDict(
        parse_qsl(_text(message.get("uri")).partition("?")[2], keep_blank_values=True)
    )
    strings = message.get("query_strings")
    if isinstance(strings, list):
        for item in strings:
            if isinstance(item, dict) and "name" in item:
                query.add(_text(item["name"]), _text(item.get("value")))
    return query


def _json_or_none(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _error(message: str) -> str:
    return json.dumps({"message": message}, separators=(",", ":"))


def _reason(status: int) -> str:
    if status in _REASONS:
        return _REASONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
