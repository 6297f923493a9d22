"""An agent's desk on another node's call: the request goes to the node that holds the call.

With several nodes (docs/architecture.md, "Several nodes") an agent's browser talks to the node
they logged in through, while the call they are offered may be held by any node.  The routes
that act on the call (:data:`acd.auth.policy.ON_THE_CALL`: the contact, closing it, the
escalation points, transfer, e-mail escalation, To survey, monitoring, recording) are answered
by the holder: :func:`forwarding` is the one place that decides, after the guard let the
request in and before its handler runs.  The holder runs the request through its own app, the
same middlewares and handler as a request of its own, as the principal the receiving node
let in (the guard checks the policy again and reads no credentials); its answer, status and
body, is the receiving node's.  A holder that cannot answer is 503 ``call_node_unavailable``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, cast
from urllib.parse import quote

from aiohttp import hdrs, web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http import HttpVersion11, RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Middleware
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from acd.auth.keys import FORWARDED_PRINCIPAL, PRINCIPAL, SPEC
from acd.auth.model import Principal, Role, Scope, Via
from acd.auth.policy import ON_THE_CALL
from acd.live import ContactElsewhere
from acd.settings.redis_options import RedisSettings
from acd.state.desk_link import DeskLink, DeskReply, DeskRequest, HolderUnavailable
from foundation.clock import Clock
from foundation.errors import ApiError
from foundation.json_body import MAX_REQUEST_BODY

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DESK_LINK = web.AppKey("desk_link", DeskLink)  # set with several nodes only

# What of a request and of its answer crosses to the other node: the body's framing and the
# answer's own headers (a 503's Retry-After), not the credentials, cookies or addresses.
_REQUEST_HEADERS = (hdrs.CONTENT_TYPE,)
_REPLY_HEADERS = (hdrs.CONTENT_TYPE, hdrs.RETRY_AFTER, hdrs.WWW_AUTHENTICATE, hdrs.ALLOW)


def forwarding(link: DeskLink) -> Middleware:
    """The API middleware (innermost, after the guard) that sends a request about an agent's
    call to the node holding it; every other request passes."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        spec = request.get(SPEC)
        if spec is None or spec.action not in ON_THE_CALL or FORWARDED_PRINCIPAL in request:
            return await handler(request)
        holder = await link.holder(request.match_info["agent_id"])
        if holder is None or holder == link.node_id:
            return await handler(request)
        return await _forward(link, holder, request)

    return middleware


async def _forward(link: DeskLink, holder: str, request: web.Request) -> web.Response:
    body = await request.read()  # at most the route's max_body: the guard checked it
    headers = tuple(
        (name, request.headers[name]) for name in _REQUEST_HEADERS if name in request.headers
    )
    sent = DeskRequest(
        request.method,
        request.raw_path,
        headers,
        body,
        principal_data(request[PRINCIPAL]),
        request.remote,
    )
    try:
        reply = await link.send(holder, sent)
    except HolderUnavailable as exc:
        log.warning("desk request %s %s: %s", request.method, request.path, exc)
        raise ApiError(
            503,
            "call_node_unavailable",
            f"the agent's call is on node {exc.node_id}, which {exc.reason}: try again shortly",
            {"node_id": exc.node_id},
            headers={hdrs.RETRY_AFTER: "5"},
        ) from None
    return web.Response(status=reply.status, body=reply.body, headers=dict(reply.headers))


def answering(app: web.Application) -> Callable[[DeskRequest, str], Awaitable[DeskReply]]:
    """What runs another node's forwarded request on this node: ``app`` handles it as one of
    its own (middlewares, the guard, the handler), as the principal the sender let in."""

    async def answer(sent: DeskRequest, from_node: str) -> DeskReply:
        who = principal_from(sent.identity)
        log.debug(
            "desk request %s %s by %s forwarded by node %s",
            sent.method,
            sent.path.split("?", 1)[0],
            who.name,
            from_node,
        )
        request = _detached(sent)
        request[FORWARDED_PRINCIPAL] = who
        # aiohttp's own dispatch (route, middlewares, handler) for a request that did not come
        # through a connection; no public API serves that.
        response = await app._handle(request)
        if not isinstance(response, web.Response):  # a stream: no route of ON_THE_CALL gives one
            raise TypeError(f"{sent.method} {sent.path}: cannot forward a streamed answer")
        data = response.body if isinstance(response.body, bytes) else b""  # json_response's
        headers = tuple(
            (name, response.headers[name]) for name in _REPLY_HEADERS if name in response.headers
        )
        return DeskReply(response.status, headers, data)

    return answer


def contact_elsewhere(link: DeskLink) -> ContactElsewhere:
    """The agent's contact as the node holding their call answers ``GET .../contact`` (None:
    no other node holds it, or it cannot say): the live events' contact message."""

    async def fetch(who: Principal, agent_id: str) -> dict[str, Any] | None:
        holder = await link.holder(agent_id)
        if holder is None or holder == link.node_id:
            return None
        path = f"/api/agents/{quote(agent_id, safe='')}/contact"
        try:
            reply = await link.send(holder, DeskRequest("GET", path, (), b"", principal_data(who)))
        except HolderUnavailable:
            return None
        found = json.loads(reply.body) if reply.status == 200 else None
        return found if isinstance(found, dict) else None

    return fetch


class _NoConnection(BaseProtocol):
    """The connection a forwarded request did not come through (the request reads these)."""

    ssl_context = None
    peername = None
    sockname = None


def _detached(sent: DeskRequest) -> web.Request:
    loop = asyncio.get_running_loop()
    headers = CIMultiDictProxy(
        CIMultiDict([*sent.headers, (hdrs.CONTENT_LENGTH, str(len(sent.body)))])
    )
    raw = tuple((k.encode(), v.encode()) for k, v in headers.items())
    message = RawRequestMessage(
        sent.method,
        sent.path,
        HttpVersion11,
        headers,
        raw,
        False,  # should_close
        None,  # compression
        False,  # upgrade
        False,  # chunked
        URL(sent.path),
    )
    protocol = _NoConnection(loop)
    payload = StreamReader(protocol, 2**16, loop=loop)
    payload.feed_data(sent.body)
    payload.feed_eof()
    task = asyncio.current_task()
    assert task is not None
    return web.Request(
        message,
        payload,
        cast(Any, protocol),
        cast(Any, None),  # nothing is written: the answer is sent back through Redis
        task,
        loop,
        client_max_size=MAX_REQUEST_BODY,
        remote=sent.remote,
    )


def principal_data(who: Principal) -> dict[str, Any]:
    """The principal as the holder needs it (no session secret or CSRF token)."""
    return {
        "name": who.name,
        "via": who.via.value,
        "role": None if who.role is None else who.role.value,
        "agent_id": who.agent_id,
        "lines": sorted(who.lines),
        "scopes": sorted(scope.value for scope in who.scopes),
        "user_id": who.user_id,
    }


def principal_from(data: Any) -> Principal:
    return Principal(
        str(data["name"]),
        Via(data["via"]),
        role=None if data["role"] is None else Role(data["role"]),
        agent_id=data["agent_id"],
        lines=frozenset(data["lines"]),
        scopes=frozenset(Scope(s) for s in data["scopes"]),
        user_id=data["user_id"],
    )


async def forward_desk_requests(
    stack: AsyncExitStack, app: web.Application, redis: RedisSettings, clock: Clock
) -> DeskLink:
    """Wire a node's API for several nodes: requests about calls other nodes hold go there,
    and this node answers theirs once the app serves (until it stops)."""
    link = DeskLink.from_url(
        redis.client_url(),
        redis.node_id,
        redis.key_prefix,
        now=lambda: clock.now().timestamp(),
        lease_ttl_s=redis.lease_ttl_s,
        timeout_s=redis.forward_timeout_s,
        hold=clock.hold,
    )
    stack.push_async_callback(link.close)
    app[DESK_LINK] = link
    app.middlewares.append(forwarding(link))

    async def start(_: web.Application) -> None:
        await link.start(answering(app))

    async def stop(_: web.Application) -> None:
        await link.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return link
