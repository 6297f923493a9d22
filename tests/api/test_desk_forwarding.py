"""The holder's side of a forwarded desk request (acd.desk_forwarding): the request rebuilt
without a connection runs through the app's routing, middlewares and handler as one of its
own, as the principal the receiving node let in; the principal crosses without its secrets.
(The two-node behaviour is tests/system/test_desk_nodes.py.)"""

from __future__ import annotations

import json

from aiohttp import web

from acd.auth.keys import FORWARDED_PRINCIPAL
from acd.auth.model import Principal, Role, Scope, Via
from acd.desk_forwarding import answering, principal_data, principal_from
from acd.state.desk_link import DeskReply, DeskRequest

AGENT = Principal(
    "an",
    Via.SESSION,
    role=Role.AGENT,
    agent_id="1001",
    lines=frozenset({"1700"}),
    user_id=4,
    csrf_token="secret-csrf",
)


def test_the_principal_crosses_without_its_csrf_token():
    data = json.loads(json.dumps(principal_data(AGENT)))  # as on the wire
    assert "secret-csrf" not in json.dumps(data)
    assert principal_from(data) == Principal(
        "an", Via.SESSION, role=Role.AGENT, agent_id="1001", lines=frozenset({"1700"}), user_id=4
    )
    token = Principal("token:crm", Via.TOKEN, scopes=frozenset({Scope.AGENTS_WRITE}))
    assert principal_from(principal_data(token)) == token


async def test_a_forwarded_request_runs_through_the_apps_middlewares_and_handler():
    seen: list[str] = []

    @web.middleware
    async def outer(request: web.Request, handler):
        seen.append(f"outer as {request[FORWARDED_PRINCIPAL].name}")
        return await handler(request)

    async def close(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(f"{request.match_info['agent_id']} {request.query['x']} {request.remote}")
        if body["reason"] == "?":
            return web.json_response({"error": "unknown_reason"}, status=422)
        return web.json_response({"note": body["note"]}, headers={"Retry-After": "1", "X-No": "1"})

    app = web.Application(middlewares=[outer])
    app.router.add_post("/api/agents/{agent_id}/contact/close", close)
    app.freeze()
    answer = answering(app)

    def sent(reason: str) -> DeskRequest:
        body = json.dumps({"note": "Vraag é", "reason": reason}).encode()
        return DeskRequest(
            "POST",
            "/api/agents/1001/contact/close?x=%C3%A9",
            (("Content-Type", "application/json"),),
            body,
            principal_data(AGENT),
            "192.0.2.7",
        )

    reply = await answer(sent("Klacht"), "node-b")
    assert reply.status == 200
    assert json.loads(reply.body) == {"note": "Vraag é"}
    # Only the answer's own headers that matter to the client cross back.
    assert dict(reply.headers) == {
        "Content-Type": "application/json; charset=utf-8",
        "Retry-After": "1",
    }
    assert seen == ["outer as an", "1001 é 192.0.2.7"]
    assert await answer(sent("?"), "node-b") == DeskReply(
        422, (("Content-Type", "application/json; charset=utf-8"),), b'{"error": "unknown_reason"}'
    )
