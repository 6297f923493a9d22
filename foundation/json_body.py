"""Reading an HTTP request's JSON object body, refused the same way by every API route."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from foundation.errors import ApiError


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; ``{}`` if there is no body.

    Raises :class:`ApiError` 400 ``invalid_json`` if the body is not JSON or not an object.
    """
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    return body
