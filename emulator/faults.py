"""Fault injection for engine tests: the events WebSockets drop, Asterisk refuses new ones.

Closing a socket ends nothing on the PBX: calls stay in Stasis, in their bridges, with their
music; events meanwhile are lost, exactly like the outage in ``ws_reconnect.jsonl``.  While
refusing, the WebSocket handshake answers 503 (a real outage would refuse the TCP connection).
"""

from __future__ import annotations

from aiohttp import WSCloseCode

from emulator.rest import EmulatorState


async def drop_websockets(state: EmulatorState, refuse_for_s: float = 0.0) -> None:
    """Close every events WebSocket now; refuse new ones for ``refuse_for_s`` loop seconds."""
    if refuse_for_s > 0:
        state.refuse_websockets_until = state.pbx.now() + refuse_for_s
    for conn, ws in list(state.sockets.items()):
        state.pbx.bus.disconnect(conn)
        state.sockets.pop(conn, None)
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"emulator: connection dropped")
