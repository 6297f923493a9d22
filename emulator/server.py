"""The aiohttp application: ARI REST routes, the events WebSocket, auth and error handling.

Like Asterisk it takes ``api_key=user:password`` in the query or HTTP basic auth, answers 401
otherwise, and renders refusals as ``{"message": ...}``.  Every REST response is sent only
after the events it caused have been written to the WebSockets, so an application sees, for
example, ``ChannelStateChange`` before the ``204`` of ``/answer``.  An unexpected exception in
the emulator is logged and answered with a 500; the server keeps running.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from emulator import control, rest_bridges, rest_channels, rest_resources, ws_rest
from emulator.bus import Connection
from emulator.errors import AriHttpError
from emulator.rest import PBX_KEY, STATE_KEY, EmulatorState, Handler, RequestRecord, ari_json

log = logging.getLogger(__name__)

_PROTECTED = ("/ari", "/emulator")
DRAIN_TIMEOUT_S = 1.0


def build_app(state: EmulatorState) -> web.Application:
    app = web.Application(middlewares=[_request_log, _errors, _auth, _drain])
    app[PBX_KEY] = state.pbx
    app[STATE_KEY] = state
    app.router.add_get("/ari/events", _events)
    for method, path, handler in (
        *rest_channels.ROUTES,
        *rest_bridges.ROUTES,
        *rest_resources.ROUTES,
        *control.ROUTES,
    ):
        app.router.add_route(method, path, handler)
    app.on_shutdown.append(_close_sockets)
    return app


# --- middlewares -------------------------------------------------------------------------


@web.middleware
async def _request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    upgraded = isinstance(response, web.WebSocketResponse)
    if request.path.startswith("/ari") and not upgraded:  # sockets log themselves on upgrade
        await _log(request, response.status)
    return response


async def _log(request: web.Request, status: int) -> None:
    state = request.app[STATE_KEY]
    state.request_log.append(
        RequestRecord(
            method=request.method,
            path=request.path,
            query={k: v for k, v in request.query.items() if k != "api_key"},
            body=await _body(request),
            status=status,
            at=state.pbx.now(),
        )
    )


async def _body(request: web.Request) -> Any:
    if not request.can_read_body or request.path == "/ari/events":
        return None
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        text = await request.text()
        return json.loads(text) if text.strip() else None
    return None


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AriHttpError as exc:
        return ari_json(exc.body(), status=exc.status)
    except web.HTTPNotFound:
        return ari_json({"message": "Resource not found"}, status=404)
    except web.HTTPMethodNotAllowed as exc:
        # As res_ari.c: the path's methods after OPTIONS, in Asterisk's enum order.  A HEAD
        # gets this too (recording_file.jsonl; Asterisk even sends the body after it).
        allowed = [m for m in _METHOD_ORDER if m in exc.allowed_methods]
        return ari_json(
            {"message": "Invalid method"},
            status=405,
            headers={"Allow": ",".join(["OPTIONS", *allowed])},
        )
    except web.HTTPException:
        raise
    except Exception:
        log.exception("emulator failed on %s %s", request.method, request.path)
        return ari_json({"message": "Internal emulator error"}, status=500)


#: ``enum ast_http_method`` (include/asterisk/http.h), the order of an ``Allow`` header.
_METHOD_ORDER = ("GET", "POST", "HEAD", "PUT", "DELETE")


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(_PROTECTED) and not _authorized(request):
        return ari_json(
            {"message": "Authentication required"},
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'},
        )
    return await handler(request)


def _authorized(request: web.Request) -> bool:
    state = request.app[STATE_KEY]
    expected = f"{state.username}:{state.password}"
    api_key = request.query.get("api_key")
    if api_key is not None:
        return api_key == expected
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        return base64.b64decode(encoded, validate=True).decode() == expected
    except (binascii.Error, UnicodeDecodeError):
        return False


@web.middleware
async def _drain(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path != "/ari/events":
        # Bounded: a client that stops reading its socket while it waits for this response
        # must not deadlock the two of us (Asterisk's REST never waits for the socket).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(request.app[PBX_KEY].bus.drain(), DRAIN_TIMEOUT_S)
    return response


# --- the events WebSocket ----------------------------------------------------------------


async def _events(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    apps = [a for a in request.query.get("app", "").split(",") if a]
    if not apps:
        raise AriHttpError(400, "Invalid application provided in param [app].")
    if state.pbx.now() < state.refuse_websockets_until:
        raise AriHttpError(503, "Service Unavailable")
    subscribe_all = request.query.get("subscribeAll", "").lower() in ("true", "yes", "1")
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await _log(request, 101)
    conn = Connection(apps, subscribe_all)
    state.pbx.bus.connect(conn)
    state.sockets[conn] = ws
    sender = asyncio.create_task(_pump(conn, ws))
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:  # ARI 22's REST over the WebSocket
                await ws_rest.answer(request.app, conn, message.data)
    finally:
        state.pbx.bus.disconnect(conn)
        state.sockets.pop(conn, None)
        sender.cancel()
    return ws


async def _pump(conn: Connection, ws: web.WebSocketResponse) -> None:
    while True:
        message = await conn.queue.get()
        try:
            if not ws.closed:
                await ws.send_str(message)
        except (ConnectionError, RuntimeError):
            log.debug("events socket went away while sending")
        finally:
            conn.queue.task_done()


async def _close_sockets(app: web.Application) -> None:
    state = app[STATE_KEY]
    for conn, ws in list(state.sockets.items()):
        state.pbx.bus.disconnect(conn)
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"emulator shutting down")
