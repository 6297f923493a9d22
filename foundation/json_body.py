"""Reading an HTTP request's JSON object body, refused the same way by every API route, and the
request-size guard every API app puts in front of its routes.

A body is refused with a 4xx the client can act on, never a 500: too big (413, checked on the
declared length before anything is read, then on the bytes as they arrive), not UTF-8, not JSON,
``NaN``/``Infinity`` (not JSON, and a reply echoing them would not be JSON either), nested deeper
than any real request (Python's parser would overflow its stack), or not an object.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from foundation.errors import ApiError

# Every API body is a small object; 64 KiB is far beyond any of them, and far below what a
# slow client could use to hold memory.
DEFAULT_MAX_BODY = 64 * 1024
# The app-wide ceiling (aiohttp's client_max_size, and the guard below): no route reads more.
MAX_REQUEST_BODY = 1024 * 1024
# No API object is nested more than a few levels; a deeper body is an attack or a bug.
MAX_DEPTH = 32
_CHUNK = 16 * 1024


async def read_json_object(
    request: web.Request, *, max_bytes: int = DEFAULT_MAX_BODY
) -> dict[str, Any]:
    """The request body as a JSON object; ``{}`` if there is no body.

    Raises :class:`ApiError` 413 ``body_too_large`` past ``max_bytes``, 400 ``invalid_encoding``
    if it is not UTF-8, 400 ``invalid_json`` if it is not JSON (NaN and Infinity included), is
    nested deeper than :data:`MAX_DEPTH` or is not an object.
    """
    if not request.can_read_body:
        return {}
    raw = await _read_capped(request, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            "invalid_encoding",
            f"request body is not UTF-8 (byte {exc.start} is not valid)",
            {"offset": exc.start},
        ) from None
    body = parse_json(text)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    return body


def parse_json(text: str) -> Any:
    """``text`` as JSON, refused (400 ``invalid_json``) as :func:`read_json_object` says."""
    depth = _max_depth(text)
    if depth > MAX_DEPTH:
        raise ApiError(
            400,
            "invalid_json",
            f"request body is nested {depth} levels deep; at most {MAX_DEPTH} are accepted",
        )
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"request body is not JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity by default; JSON does not.
    raise ApiError(
        400, "invalid_json", f"request body is not JSON: {name} is not a JSON number", {}
    )


def _max_depth(text: str) -> int:
    """How deep brackets nest, counted before parsing (the parser recurses once per level).
    Brackets inside strings are skipped; on malformed text the parser reports the mistake."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest  # enough to refuse; no need to count the rest
        elif char in "]}":
            depth -= 1
    return deepest


async def _read_capped(request: web.Request, max_bytes: int) -> bytes:
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        raise _too_large(max_bytes)
    data = bytearray()
    # Also a chunked body, which declares no length: stop reading as soon as it is too big.
    async for chunk in request.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(data)


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"request body is larger than {max_bytes} bytes, the most this route accepts",
        {"max_bytes": max_bytes},
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def refuse_large_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse (413, JSON) a request declaring a body over :data:`MAX_REQUEST_BODY` before any
    handler runs, also on routes that read no body, which would otherwise accept it unread."""
    declared = request.content_length
    if declared is not None and declared > MAX_REQUEST_BODY:
        error = _too_large(MAX_REQUEST_BODY)
        response = web.json_response(
            {
                "status": error.status,
                "error": error.error_id,
                "message": error.message,
                "details": error.details,
            },
            status=error.status,
        )
        response.force_close()  # the rest of the body is not read
        return response
    return await handler(request)
