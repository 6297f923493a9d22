"""The HTTP API's OpenAPI 3.1 description, built from the route table
(:data:`acd.auth.policy.ROUTES`) and the pydantic models its handlers validate with, so the
description and the code cannot drift apart: a route is described as the guard enforces it
(who may call it: ``security``) and as the handler reads it (``requestBody``).

Served at ``GET /api/openapi.json``, open to all: it holds no data, only what the open-source
code says, and a client or tool reads it before it has credentials.

Security: a token (``Authorization: Bearer ...``, scopes) or a browser session (the
``acd_session`` cookie from ``POST /api/session``), which on a state-changing request also
sends the session's CSRF token in ``X-CSRF-Token`` (and its own Origin).  OpenAPI 3.1 lets a
non-OAuth scheme list roles: the bearer requirement lists the token scope a route needs, the
session requirement the roles that may call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import metadata
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from acd.auth.guard import COOKIE, CSRF_HEADER, SAFE_METHODS
from acd.auth.policy import ON_THE_CALL, ROUTES, Access, RouteSpec, Target

PATH = "/api/openapi.json"
# Besides /api/..., the two machine routes; anything else in the table (a browser page, its
# assets) is not part of the HTTP API.
_MACHINE_ROUTES = frozenset({"/healthz", "/metrics"})
_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{([^}/]+)}")


class ErrorBody(BaseModel):
    """Every refusal: a stable ``error`` id to act on, a ``message`` for people."""

    status: int
    error: str
    message: str
    details: dict[str, Any]


_ERRORS = {
    400: "the body is not a UTF-8 JSON object (or is nested too deep); a WebSocket route"
    " called without the upgrade",
    401: "no credentials, or wrong ones (WWW-Authenticate: Bearer)",
    403: "the credentials may not do this, or a browser request without its CSRF token/Origin",
    404: "no such agent, callback, point, user or token",
    409: "the state does not allow it now (not on a call, already closed, ...)",
    413: "the body is larger than the route accepts",
    422: "a field or query parameter is wrong: the message names it and why",
    429: "too many failed sign-ins: try again after Retry-After seconds",
    503: "several nodes: the node holding the agent's call did not answer"
    " (call_node_unavailable); try again after Retry-After seconds",
}


def _version() -> str:
    try:
        return metadata.version("acd-engine")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0.0.0"


@cache
def openapi_document() -> dict[str, Any]:
    """The description of every route in the table (built once: the table is fixed)."""
    return build_document(ROUTES)


def describes(spec: RouteSpec) -> bool:
    """Whether the description covers the route: the API's, not a page of a browser UI."""
    return spec.path.startswith("/api/") or spec.path in _MACHINE_ROUTES


def build_document(routes: Sequence[RouteSpec]) -> dict[str, Any]:
    routes = [spec for spec in routes if describes(spec)]
    schemas = _Schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ACD engine HTTP API",
            "version": _version(),
            "description": "Agents, queues, callbacks, escalation points and ratings, users,"
            " tokens and the audit log of the ACD engine.  Every refusal is JSON"
            " {status, error, message, details} with a stable error id.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`acd tokens add` or POST /api/tokens); the"
                    " requirement lists the scope the route needs (`admin` holds them all).",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE,
                    "description": "A browser session from POST /api/session; the requirement"
                    " lists the roles that may call the route.",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CSRF_HEADER,
                    "description": "The session's CSRF token (csrf_token in the sign-in answer"
                    " and GET /api/session), sent with the cookie on every state change.",
                },
            },
        },
    }


class _Schemas:
    """Every model's JSON schema, in one components section that each route refers to."""

    def __init__(self, routes: Iterable[RouteSpec]) -> None:
        wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
            (ErrorBody, "serialization"): None
        }
        for spec in routes:
            for model, mode in (
                (spec.request_model, "validation"),
                (spec.query_model, "validation"),
                (spec.response_model, "serialization"),
            ):
                if model is not None:
                    wanted[(_model(model), mode)] = None  # type: ignore[index]
        refs, defs = models_json_schema(list(wanted), ref_template=_REF)
        self._refs = refs
        self.components: dict[str, Any] = defs.get("$defs", {})

    def ref(self, model: type, mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(self._refs[(_model(model), mode)])

    def properties(self, model: type) -> tuple[dict[str, Any], set[str]]:
        name = self.ref(model, "validation")["$ref"].rsplit("/", 1)[1]
        schema = self.components[name]
        return schema.get("properties", {}), set(schema.get("required", []))


def _model(model: type) -> type[BaseModel]:
    assert issubclass(model, BaseModel), f"{model} is not a pydantic model"
    return model


def _operation(spec: RouteSpec, schemas: _Schemas) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": re.sub(r"\W", "_", spec.action),
        "tags": [_tag(spec.path)],
        "summary": spec.action,
        "security": _security(spec),
        "x-acd-access": _access_text(spec),
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(spec.path)
    ]
    if spec.query_model is not None:
        properties, required = schemas.properties(spec.query_model)
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _not_null(schema),
            }
            for name, schema in properties.items()
        ]
    if parameters:
        operation["parameters"] = parameters
    if spec.request_model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": schemas.ref(spec.request_model, "validation")}
            },
        }
    operation["responses"] = _responses(spec, schemas)
    return operation


def _tag(path: str) -> str:
    parts = [p for p in path.split("/") if p and p != "api" and not p.startswith("{")]
    return parts[0].removesuffix(".json") if parts else "api"


def _security(spec: RouteSpec) -> list[dict[str, list[str]]]:
    if spec.access is Access.PUBLIC:
        return [{}]
    roles = sorted(role.value for role in spec.roles) if spec.access is Access.ROLES else []
    session: dict[str, list[str]] = {"session": roles}
    if spec.method not in SAFE_METHODS:
        session["csrf"] = []
    found: list[dict[str, list[str]]] = []
    if spec.access is Access.SIGNED_IN:
        found.append({"bearer": []})
    elif spec.scope is not None:
        found.append({"bearer": [spec.scope.value]})
    return [*found, session]


def _access_text(spec: RouteSpec) -> str:
    if spec.access is Access.PUBLIC:
        return "public"
    if spec.access is Access.SIGNED_IN:
        return "any signed-in user or token"
    roles = ", ".join(sorted(role.value for role in spec.roles))
    own = {
        Target.AGENT: "; an agent only their own agent, a supervisor the agents of their lines",
        Target.CALLBACK: "; a supervisor the callbacks of their lines",
    }.get(spec.target, "")
    scope = f", or a token with scope {spec.scope.value}" if spec.scope else ""
    return f"roles {roles}{scope}{own}"


def _responses(spec: RouteSpec, schemas: _Schemas) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in spec.ok:
        responses[str(status)] = _success(spec, status, schemas)
    if spec.path == "/healthz":
        responses["503"] = _success(spec, 503, schemas) | {"description": "not ready"}
    errors: set[int] = set()
    if spec.access is not Access.PUBLIC:
        errors |= {401, 403}
    if _PARAM.search(spec.path):
        errors.add(404)
    if spec.method not in SAFE_METHODS or spec.target is Target.AGENT:
        errors.add(409)
    if spec.request_model is not None:
        errors |= {400, 413, 422}
    if 101 in spec.ok:
        errors.add(400)  # websocket_required: a plain GET
    if spec.query_model is not None:
        errors.add(422)
    if spec.action == "session.login":
        errors |= {401, 429}
    if spec.action in ON_THE_CALL:
        errors.add(503)
    error = {"application/json": {"schema": schemas.ref(ErrorBody, "serialization")}}
    for status in sorted(errors):
        responses[str(status)] = {"description": _ERRORS[status], "content": error}
    responses["default"] = {
        "description": "any other refusal, in the same format",
        "content": error,
    }
    return responses


def _success(spec: RouteSpec, status: int, schemas: _Schemas) -> dict[str, Any]:
    if status == 204:
        return {"description": "done; no body"}
    if status == 101:
        # OpenAPI has no words for a WebSocket: the upgrade is described, the messages not.
        return {
            "description": "a WebSocket (send the upgrade headers): the engine then sends JSON"
            " messages, each with a type, about what the caller may see (acd.live)"
        }
    if spec.path == "/metrics":
        return {
            "description": "Prometheus text exposition",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    schema: dict[str, Any] = (
        schemas.ref(spec.response_model, "serialization")
        if spec.response_model is not None
        else {"type": "object"}
    )
    return {
        "description": _OK.get(status, "done"),
        "content": {"application/json": {"schema": schema}},
    }


_OK = {200: "done", 201: "created", 202: "accepted: under way"}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent, never null: ``str | None`` is described as a string."""
    options = schema.get("anyOf")
    if options is None:
        return schema
    kept = [option for option in options if option.get("type") != "null"]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return (kept[0] | rest) if len(kept) == 1 else {**rest, "anyOf": kept}


async def serve_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
