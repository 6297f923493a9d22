"""Who hears which event: Stasis applications, their subscriptions and their WebSockets.

Asterisk routes an event to an application through topics the application is subscribed to,
and the number of copies it receives is the number of subscription paths: an application that
sees a channel (it is in its Stasis, it originated it, or it subscribed explicitly) *and* is
subscribed to that channel's endpoint gets every channel event twice (``subscriptions.jsonl``).
``StasisStart``/``StasisEnd`` are sent to the application directly, once.

An application exists from its first WebSocket on and is *active* only while a WebSocket is
connected; events for an inactive application are lost, never replayed (``ws_reconnect.jsonl``).
A second WebSocket for the same application takes it over and the first receives
``ApplicationReplaced`` (``app_replaced.jsonl``).

Each application may narrow its own stream with an event filter (``PUT
/applications/{app}/eventFilter``, ``event_filter.jsonl``): a type on the ``disallowed`` list is
never sent; a non-empty ``allowed`` list lets only its types through; disallowed wins when a type
is on both (``stasis_app_event_allowed``).  Filtering happens here, before an event is formatted.

Publishing is synchronous: it formats the event and puts it on each connection's queue, so
events caused by a REST call are queued before its response; the server drains the queues
before answering.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]


class Connection:
    """One events WebSocket: the server's sender task drains ``queue`` into the socket."""

    def __init__(self, apps: Iterable[str], subscribe_all: bool = False) -> None:
        self.apps = list(dict.fromkeys(apps))
        self.subscribe_all = subscribe_all
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.closed = False


@dataclass
class AppState:
    name: str
    connection: Connection | None = None
    channels: dict[str, set[str]] = field(default_factory=dict)
    bridges: dict[str, int] = field(default_factory=dict)
    endpoints: dict[str, None] = field(default_factory=dict)
    devices: dict[str, None] = field(default_factory=dict)
    subscribe_all: bool = False
    #: The filter lists exactly as the client gave them (``[{"type": ...}, ...]``, any JSON).
    events_allowed: list[Any] = field(default_factory=list)
    events_disallowed: list[Any] = field(default_factory=list)
    _allowed: frozenset[str] = frozenset()
    _disallowed: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        return self.connection is not None

    def sees_channel(self, channel_id: str) -> bool:
        return self.subscribe_all or channel_id in self.channels

    def sees_bridge(self, bridge_id: str) -> bool:
        return self.subscribe_all or self.bridges.get(bridge_id, 0) > 0

    def sees_endpoint(self, endpoint_key: str) -> bool:
        technology = endpoint_key.partition("/")[0]
        return endpoint_key in self.endpoints or technology in self.endpoints

    def set_filter(self, allowed: list[Any] | None, disallowed: list[Any] | None) -> None:
        """Replace the lists given; ``None`` leaves that list as it is."""
        if allowed is not None:
            self.events_allowed = list(allowed)
            self._allowed = _types(allowed)
        if disallowed is not None:
            self.events_disallowed = list(disallowed)
            self._disallowed = _types(disallowed)

    def allows(self, event_type: str) -> bool:
        if event_type in self._disallowed:
            return False
        return not self.events_allowed or event_type in self._allowed

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "channel_ids": list(self.channels),
            "bridge_ids": [b for b, n in self.bridges.items() if n > 0],
            "endpoint_ids": list(self.endpoints),
            "device_names": list(self.devices),
            "events_allowed": list(self.events_allowed),
            "events_disallowed": list(self.events_disallowed),
        }


def _types(entries: list[Any]) -> frozenset[str]:
    """The type names of filter entries; entries without a string ``type`` match nothing."""
    return frozenset(
        e["type"] for e in entries if isinstance(e, dict) and isinstance(e.get("type"), str)
    )


class EventBus:
    def __init__(self, asterisk_id: str, timestamp: Callable[[], str]) -> None:
        self.asterisk_id = asterisk_id
        self._timestamp = timestamp
        self.apps: dict[str, AppState] = {}
        self.connections: list[Connection] = []
        self._listeners: list[Listener] = []
        self.delivered = 0

    # --- connections ---------------------------------------------------------------------

    def connect(self, conn: Connection) -> None:
        """Register the connection's applications; a previous owner gets ApplicationReplaced."""
        self.connections.append(conn)
        for name in conn.apps:
            app = self.apps.setdefault(name, AppState(name))
            old = app.connection
            if old is not None and old is not conn:
                old.apps.remove(name)
                if app.allows("ApplicationReplaced"):
                    self._put(old, self._envelope("ApplicationReplaced", {}, name))
            app.connection = conn
            app.subscribe_all = conn.subscribe_all

    def disconnect(self, conn: Connection) -> None:
        conn.closed = True
        if conn in self.connections:
            self.connections.remove(conn)
        for name in conn.apps:
            app = self.apps.get(name)
            if app is not None and app.connection is conn:
                app.connection = None

    def is_active(self, app: str) -> bool:
        state = self.apps.get(app)
        return state is not None and state.active

    def add_listener(self, listener: Listener) -> None:
        """Observe every delivered event (demo dashboards, tests); called with (app, event)."""
        self._listeners.append(listener)

    async def drain(self) -> None:
        """Wait until every queued event has been handed to its socket."""
        for conn in list(self.connections):
            if not conn.closed:
                await conn.queue.join()

    # --- subscriptions -------------------------------------------------------------------

    def subscribe_channel(self, app: str, channel_id: str, reason: str) -> None:
        self.apps.setdefault(app, AppState(app)).channels.setdefault(channel_id, set()).add(reason)

    def unsubscribe_channel(self, app: str, channel_id: str, reason: str | None = None) -> None:
        state = self.apps.get(app)
        if state is None or channel_id not in state.channels:
            return
        reasons = state.channels[channel_id]
        if reason is None:
            reasons.clear()
        else:
            reasons.discard(reason)
        if not reasons:
            del state.channels[channel_id]

    def forget_channel(self, channel_id: str) -> None:
        for state in self.apps.values():
            state.channels.pop(channel_id, None)

    def subscribe_bridge(self, app: str, bridge_id: str) -> None:
        state = self.apps.setdefault(app, AppState(app))
        state.bridges[bridge_id] = state.bridges.get(bridge_id, 0) + 1

    def unsubscribe_bridge(self, app: str, bridge_id: str, *, all_refs: bool = False) -> None:
        state = self.apps.get(app)
        if state is None or bridge_id not in state.bridges:
            return
        state.bridges[bridge_id] = 0 if all_refs else state.bridges[bridge_id] - 1
        if state.bridges[bridge_id] <= 0:
            del state.bridges[bridge_id]

    def forget_bridge(self, bridge_id: str) -> None:
        for state in self.apps.values():
            state.bridges.pop(bridge_id, None)

    # --- publishing ----------------------------------------------------------------------

    def to_app(self, app: str, event_type: str, fields: dict[str, Any]) -> None:
        """Directly to one application (StasisStart, StasisEnd): once, if it is active."""
        state = self.apps.get(app)
        if state is not None:
            self._deliver(state, event_type, fields, 1)

    def channel_event(
        self, channel_id: str, endpoint_key: str, event_type: str, fields: dict[str, Any]
    ) -> None:
        for state in list(self.apps.values()):
            copies = int(state.sees_channel(channel_id)) + int(state.sees_endpoint(endpoint_key))
            self._deliver(state, event_type, fields, copies)

    def membership_event(
        self,
        channel_id: str,
        endpoint_key: str,
        bridge_id: str,
        event_type: str,
        fields: dict[str, Any],
    ) -> None:
        for state in list(self.apps.values()):
            seen = state.sees_channel(channel_id) or state.sees_bridge(bridge_id)
            copies = int(seen) + int(state.sees_endpoint(endpoint_key))
            self._deliver(state, event_type, fields, copies)

    def bridge_event(self, bridge_id: str, event_type: str, fields: dict[str, Any]) -> None:
        for state in list(self.apps.values()):
            self._deliver(state, event_type, fields, int(state.sees_bridge(bridge_id)))

    def endpoint_event(self, endpoint_key: str, event_type: str, fields: dict[str, Any]) -> None:
        for state in list(self.apps.values()):
            seen = state.subscribe_all or state.sees_endpoint(endpoint_key)
            self._deliver(state, event_type, fields, int(seen))

    def device_event(self, device: str, fields: dict[str, Any]) -> None:
        """``DeviceStateChanged``: to applications subscribed to everything or to the device."""
        for state in list(self.apps.values()):
            seen = state.subscribe_all or device in state.devices
            self._deliver(state, "DeviceStateChanged", fields, int(seen))

    def _deliver(self, state: AppState, event_type: str, fields: dict[str, Any], n: int) -> None:
        conn = state.connection
        if conn is None or n <= 0:
            return  # lost: nobody listens for this application right now
        if not state.allows(event_type):
            return
        event = self._envelope(event_type, fields, state.name)
        for _ in range(n):
            self._put(conn, event)
            for listener in self._listeners:
                listener(state.name, event)

    def _envelope(self, event_type: str, fields: dict[str, Any], app: str) -> dict[str, Any]:
        return {
            "type": event_type,
            "timestamp": self._timestamp(),
            **fields,
            "asterisk_id": self.asterisk_id,
            "application": app,
        }

    def _put(self, conn: Connection, event: dict[str, Any]) -> None:
        if not conn.closed:
            self.delivered += 1
            conn.queue.put_nowait(json.dumps(event))
