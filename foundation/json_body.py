"""Reading an HTTP request's JSON object body, refused the same way by every API route, and the
request-size guard every API app puts in front of its routes.

A body is refused with a 4xx the client can act on, never a 500: too big (413, checked on the
declared length before anything is read, then on the bytes as they arrive), not UTF-8, not JSON,
``NaN``/``Infinity`` (not JSON, and a reply echoing them would not be JSON either), nested deeper
than any real request (Python's parser would overflow its stack), or not an object.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from foundation.errors import ApiError, format_path

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


class BodyModel(BaseModel):
    """A request body's model: what :func:`parse_body` validates with and the OpenAPI
    description (:mod:`acd.openapi`) is generated from, so the two cannot disagree.

    A refusal is 422 with the error id of the first wrong field (``field_error_ids``, else
    ``error_id``): clients and tests kept the ids the hand-written checks had.  Unknown keys are
    ignored, as they always were."""

    error_id: ClassVar[str] = "invalid_body"
    field_error_ids: ClassVar[Mapping[str, str]] = {}


M = TypeVar("M", bound=BaseModel)


async def parse_body(
    request: web.Request, model: type[M], *, max_bytes: int = DEFAULT_MAX_BODY
) -> M:
    """The request's JSON object body (read as :func:`read_json_object` does) validated by
    ``model``; a mistake is :class:`ApiError` 422 naming the field and the reason."""
    return validate_body(await read_json_object(request, max_bytes=max_bytes), model)


def validate_body(body: Mapping[str, Any], model: type[M]) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        first = exc.errors(include_url=False)[0]["loc"]
        field = str(first[0]) if first else ""
        error_id = "invalid_body"
        if issubclass(model, BodyModel):
            error_id = model.field_error_ids.get(field, model.error_id)
        key, reason = problems[0]["key"], problems[0]["reason"]
        raise ApiError(
            422, error_id, f"{key}: {reason}" if key else reason, {"problems": problems}
        ) from None


def _problem(error: ErrorDetails) -> dict[str, str]:
    # The input is not echoed: it may be a password, and the client has it anyway.
    if error["type"] == "value_error":  # raised by a validator: its own words, no prefix
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
    elif error["type"] == "missing":
        reason = "required"
    elif error["type"] == "enum":
        reason = f"must be one of {error.get('ctx', {}).get('expected', '')}"
    else:
        reason = error["msg"]
    return {"key": format_path(tuple(error["loc"])), "reason": reason}


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
