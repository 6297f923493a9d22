"""The emulator's own HTTP control API under ``/emulator`` (same credentials as ARI).

It drives the phone side and exposes the PBX's state, through the same :class:`Pbx` methods
the Python API offers, so the demo (over HTTP) and the tests (in process) share one code path:

=======  =======================================  ============================================
POST     /emulator/calls                          place an inbound call (JSON, see below) -> 201
GET      /emulator/calls[/{id}]                   call history (ended calls included)
GET      /emulator/channels[/{id}]                live channels, with bridge partners
POST     /emulator/channels/{id}/hangup           the phone hangs up ``{"cause": 16}`` optional
POST     /emulator/channels/{id}/dtmf             the phone presses ``{"digits": "12#"}``
GET      /emulator/bridges                        live bridges
GET      /emulator/endpoints                      endpoints and their behaviours
PUT      /emulator/endpoints/{tech}/{resource}    set a behaviour ``{"mode": "busy", ...}``
GET      /emulator/stats                          counters
GET      /emulator/requests                       ARI requests received; DELETE clears
POST     /emulator/faults/drop-websockets         close event sockets ``{"refuse_for_s": 5}``
=======  =======================================  ============================================

A call: ``{"number": "1700", "caller_number": "0470123456", "caller_name": "", "script":
{"dtmf": [[2.0, "1"]], "hangup_after_s": 120, "patience_s": 60, "talk_s": 30}}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulator import faults
from emulator.errors import bad_request, not_found
from emulator.rest import STATE_KEY, Route, match, no_content, ok
from emulator.scripts import CallerScript, behaviour_from_dict


async def _json(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except ValueError:
        raise bad_request("Invalid JSON in request body") from None
    if not isinstance(body, dict):
        raise bad_request("Expected a JSON object")
    return body


def _number(body: dict[str, Any], key: str, default: float) -> float:
    value = body.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"{key}: expected a number, got {value!r}") from None


async def place_call(request: web.Request) -> web.StreamResponse:
    pbx = request.app[STATE_KEY].pbx
    body = await _json(request)
    number = body.get("number")
    if not number:
        raise bad_request("Missing parameter number")
    try:
        script = CallerScript.from_dict(body.get("script") or {})
    except (TypeError, ValueError) as exc:
        raise bad_request(f"script: {exc}") from None
    channel_id = pbx.place_call(
        str(number),
        caller_number=str(body.get("caller_number", "caller")),
        caller_name=str(body.get("caller_name", "")),
        script=script,
        endpoint=body.get("endpoint"),
    )
    record = pbx.history.get(channel_id)
    rejected = record is not None and record.rejected
    return web.json_response({"channel_id": channel_id, "rejected": rejected}, status=201)


async def list_calls(request: web.Request) -> web.StreamResponse:
    return ok([r.to_json() for r in request.app[STATE_KEY].pbx.history.values()])


async def get_call(request: web.Request) -> web.StreamResponse:
    record = request.app[STATE_KEY].pbx.history.get(match(request, "channel_id"))
    if record is None:
        raise not_found("Call not found")
    return ok(record.to_json())


async def list_channels(request: web.Request) -> web.StreamResponse:
    pbx = request.app[STATE_KEY].pbx
    return ok([pbx.describe_channel(c) for c in list(pbx.channels)])


async def get_channel(request: web.Request) -> web.StreamResponse:
    return ok(request.app[STATE_KEY].pbx.describe_channel(match(request, "channel_id")))


async def phone_hangup(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    cause = body.get("cause")
    request.app[STATE_KEY].pbx.hangup_from_phone(
        match(request, "channel_id"), int(_number(body, "cause", 0)) if cause is not None else None
    )
    return no_content()


async def phone_dtmf(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    digits = str(body.get("digits", ""))
    if not digits or any(d not in "0123456789*#ABCD" for d in digits):
        raise bad_request("digits: expected DTMF digits")
    request.app[STATE_KEY].pbx.send_dtmf(
        match(request, "channel_id"),
        digits,
        duration_ms=int(_number(body, "duration_ms", 280)),
        gap_s=_number(body, "gap_s", 0.6),
    )
    return no_content()


async def list_bridges(request: web.Request) -> web.StreamResponse:
    pbx = request.app[STATE_KEY].pbx
    return ok([pbx.describe_bridge(b) for b in list(pbx.bridges)])


async def list_endpoints(request: web.Request) -> web.StreamResponse:
    pbx = request.app[STATE_KEY].pbx
    return ok(
        [
            {"endpoint": key, "online": spec.online, "behaviour": spec.behaviour.to_dict()}
            for key, spec in sorted(pbx.endpoints.items())
        ]
    )


async def set_endpoint(request: web.Request) -> web.StreamResponse:
    pbx = request.app[STATE_KEY].pbx
    body = await _json(request)
    try:
        behaviour = behaviour_from_dict(body) if "mode" in body else None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    online = body.get("online")
    key = f"{match(request, 'tech')}/{match(request, 'resource')}"
    spec = pbx.set_endpoint(key, behaviour, bool(online) if online is not None else None)
    return ok({"endpoint": spec.key, "online": spec.online, "behaviour": spec.behaviour.to_dict()})


async def stats(request: web.Request) -> web.StreamResponse:
    return ok(request.app[STATE_KEY].pbx.stats())


async def list_requests(request: web.Request) -> web.StreamResponse:
    return ok([r.to_json() for r in request.app[STATE_KEY].request_log])


async def clear_requests(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].request_log.clear()
    return no_content()


async def drop_websockets(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    await faults.drop_websockets(request.app[STATE_KEY], _number(body, "refuse_for_s", 0.0))
    return no_content()


ROUTES: list[Route] = [
    ("POST", "/emulator/calls", place_call),
    ("GET", "/emulator/calls", list_calls),
    ("GET", "/emulator/calls/{channel_id}", get_call),
    ("GET", "/emulator/channels", list_channels),
    ("GET", "/emulator/channels/{channel_id}", get_channel),
    ("POST", "/emulator/channels/{channel_id}/hangup", phone_hangup),
    ("POST", "/emulator/channels/{channel_id}/dtmf", phone_dtmf),
    ("GET", "/emulator/bridges", list_bridges),
    ("GET", "/emulator/endpoints", list_endpoints),
    ("PUT", "/emulator/endpoints/{tech}/{resource}", set_endpoint),
    ("GET", "/emulator/stats", stats),
    ("GET", "/emulator/requests", list_requests),
    ("DELETE", "/emulator/requests", clear_requests),
    ("POST", "/emulator/faults/drop-websockets", drop_websockets),
]
