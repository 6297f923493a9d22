"""The OpenAPI description: every route of the table in it, as the guard enforces it and with
the models its handler validates with; a valid OpenAPI 3.1 document as the engine serves it;
and the one body parser's refusals naming the field and the reason."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from acd.auth.policy import ROUTES, Access, RouteSpec
from acd.openapi import build_document, describes, openapi_document
from foundation.errors import ApiError
from foundation.json_body import BodyModel, validate_body
from tests.api.test_bad_input import api, call  # noqa: F401  (the served API fixture)

A = "/api/agents/{agent_id}"
# POST routes that take no body: the path says it all.
BODYLESS = {
    ("POST", A + "/login"),
    ("POST", A + "/logout"),
    ("POST", A + "/survey"),
    ("POST", A + "/record"),
    ("POST", "/api/recordings/{name}/hold"),
}
# Answers that are not a JSON object of a model: Prometheus text, the description itself,
# the live events' WebSocket, and 204 No Content.
NOT_A_MODEL = {
    ("GET", "/metrics"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/events"),
    ("GET", "/api/recordings/{name}/audio"),  # the recording's file (audio/wav...), with ranges
}


@pytest.mark.unit
def test_every_route_that_takes_a_body_has_the_model_it_is_validated_with():
    missing = [
        f"{spec.method} {spec.path}"
        for spec in ROUTES
        if describes(spec)
        and spec.method in ("POST", "PUT", "PATCH")
        and spec.key not in BODYLESS
        and spec.request_model is None
    ]
    assert missing == []
    # And no model is declared for a route that reads no body.
    assert not [spec for spec in ROUTES if spec.key in BODYLESS and spec.request_model]


@pytest.mark.unit
def test_every_answer_has_its_model():
    missing = [
        f"{spec.method} {spec.path}"
        for spec in ROUTES
        if describes(spec)
        and spec.response_model is None
        and spec.key not in NOT_A_MODEL
        and spec.ok != (204,)
    ]
    assert missing == []


@pytest.mark.unit
def test_every_route_is_described_with_who_may_call_it():
    document = openapi_document()
    for spec in filter(describes, ROUTES):
        operation = document["paths"][spec.path][spec.method.lower()]
        security = operation["security"]
        if spec.access is Access.PUBLIC:
            assert security == [{}], spec.key
            continue
        assert {"401", "403"} <= set(operation["responses"]), spec.key
        session = next(s for s in security if "session" in s)
        assert session["session"] == sorted(r.value for r in spec.roles), spec.key
        # A browser's state change needs the CSRF header as well as the cookie.
        assert ("csrf" in session) == (spec.method != "GET"), spec.key
        bearer = [s["bearer"] for s in security if "bearer" in s]
        if spec.access is Access.SIGNED_IN:
            assert bearer == [[]], spec.key  # any token
        else:  # a token needs the route's scope; None: no token may
            assert bearer == ([[spec.scope.value]] if spec.scope else []), spec.key


@pytest.mark.unit
def test_path_and_query_parameters_are_declared():
    paths = openapi_document()["paths"]
    listing = paths["/api/callbacks"]["get"]
    query = {p["name"]: p for p in listing["parameters"] if p["in"] == "query"}
    assert set(query) == {"status", "line", "line_code", "due_before", "limit"}
    assert query["limit"]["schema"]["maximum"] == 10_000
    assert query["status"]["schema"] == {"$ref": "#/components/schemas/CallbackStatus"}
    ratings = paths["/api/escalation-ratings"]["get"]["parameters"]
    assert "from" in {p["name"] for p in ratings}  # the alias, not the Python name
    cancel = paths["/api/callbacks/{callback_id}/cancel"]["post"]
    assert cancel["parameters"] == [
        {"name": "callback_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    body = cancel["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CancelBody"}
    assert set(cancel["responses"]) >= {"200", "400", "401", "403", "404", "409", "413", "422"}


@pytest.mark.unit
def test_a_route_without_models_still_makes_a_valid_document():

    validate(build_document([RouteSpec("POST", "/api/things/{id}", "thing.make", Access.ROLES)]))


async def test_the_served_description_is_valid_openapi_3_1(api):  # noqa: F811
    session, url = api
    async with session.get(f"{url}/api/openapi.json") as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json()
    validate(document)  # raises, naming what is wrong
    assert document["openapi"] == "3.1.0"
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert described == {spec.key for spec in ROUTES if describes(spec)}


async def test_a_wrong_field_is_refused_naming_the_field_and_the_reason(api):  # noqa: F811
    session, url = api
    presence = f"{url}/api/agents/a1/presence"
    status, body = await call(session, "PUT", presence, json={"presence": 42})
    assert (status, body["error"]) == (422, "invalid_presence")
    assert body["message"].startswith("presence: must be one of 'logged_out', 'available'")
    status, body = await call(
        session, "PUT", presence, json={"presence": "not_available", "reason": 1}
    )
    assert (status, body["error"]) == (422, "invalid_reason")
    assert body["details"]["problems"] == [
        {"key": "reason", "reason": "Input should be a valid string"}
    ]
    status, body = await call(session, "PUT", presence, json={})
    assert (status, body["message"]) == (422, "presence: required")


class _Nested(BodyModel):
    class Item(BodyModel):
        secret: int

    items: list[Item]


@pytest.mark.unit
def test_a_refusal_names_where_in_a_nested_body_and_never_echoes_the_value():
    with pytest.raises(ApiError) as refused:
        validate_body({"items": [{"secret": 1}, {"secret": "hunter2-password"}]}, _Nested)
    assert (refused.value.status, refused.value.error_id) == (422, "invalid_body")
    assert refused.value.message.startswith("items[1].secret: Input should be a valid integer")
    assert "hunter2" not in str(refused.value.details) + refused.value.message


@pytest.mark.unit
def test_a_browser_page_is_not_part_of_the_api_description():

    page = RouteSpec("GET", "/agent", "page.agent", Access.PUBLIC)
    listing = RouteSpec("GET", "/api/things", "things.list", Access.PUBLIC)
    assert set(build_document([page, listing])["paths"]) == {"/api/things"}


@pytest.mark.unit
def test_the_live_events_websocket_is_described_as_an_upgrade_without_a_body_model():
    events = openapi_document()["paths"]["/api/events"]["get"]
    assert "content" not in events["responses"]["101"]  # JSON messages, not one answer
    assert "WebSocket" in events["responses"]["101"]["description"]
    assert {"400", "401", "403"} <= set(events["responses"])  # 400: a GET without the upgrade
    assert "200" not in events["responses"]
