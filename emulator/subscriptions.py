"""``/applications/{app}/subscription`` and ``/eventFilter``: what a Stasis application hears.

Subscriptions answer as ``stasis_app_subscribe`` does: 404 unknown application, 400 missing or
badly schemed source, 422 a source that does not exist, 409 unsubscribing from a source never
subscribed.  The event filter follows ``stasis_app_event_filter_set`` (``event_filter.jsonl``).
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING, Any

from emulator.bus import AppState
from emulator.errors import bad_request, conflict, not_found, unprocessable

if TYPE_CHECKING:
    from emulator.pbx import Pbx

_SCHEMES = ("channel", "bridge", "endpoint", "deviceState")


def application(pbx: Pbx, name: str) -> AppState:
    app = pbx.bus.apps.get(name)
    if app is None:
        raise not_found("Application not found")
    return app


def subscribe(pbx: Pbx, name: str, sources: list[str]) -> AppState:
    app = application(pbx, name)
    parsed = _parse(pbx, sources)
    for scheme, target in parsed:
        if scheme == "channel":
            pbx.bus.subscribe_channel(name, target, "explicit")
        elif scheme == "bridge":
            pbx.bus.subscribe_bridge(name, target)
        elif scheme == "endpoint":
            app.endpoints[target] = None
        else:
            app.devices[target] = None
    return app


def unsubscribe(pbx: Pbx, name: str, sources: list[str]) -> AppState:
    app = application(pbx, name)
    parsed = _parse(pbx, sources)
    for scheme, target in parsed:
        if not _subscribed(app, scheme, target):
            raise conflict("Application not subscribed to event source")
    for scheme, target in parsed:
        if scheme == "channel":
            pbx.bus.unsubscribe_channel(name, target, "explicit")
        elif scheme == "bridge":
            pbx.bus.unsubscribe_bridge(name, target)
        elif scheme == "endpoint":
            del app.endpoints[target]
        else:
            del app.devices[target]
    return app


def set_event_filter(pbx: Pbx, name: str, body: Any) -> AppState:
    """``PUT /applications/{app}/eventFilter``.

    No body (or ``{}``) clears both lists; an object sets the lists it names and leaves the
    other; a list value that is not an array is refused with 400 ``Invalid format definition``
    (``allowed`` is applied before ``disallowed`` is checked, as Asterisk does); a bare array
    sets both lists.  Type names are not checked: an unknown one is kept and matches nothing.
    """
    app = application(pbx, name)
    if body is None or body == {}:
        app.set_filter([], [])
        return app
    for key in ("allowed", "disallowed"):
        value = body.get(key, None) if isinstance(body, dict) else body
        if isinstance(body, dict) and key not in body:
            continue
        if not isinstance(value, list):
            raise bad_request("Invalid format definition")
        if key == "allowed":
            app.set_filter(value, None)
        else:
            app.set_filter(None, value)
    return app


def _subscribed(app: AppState, scheme: str, target: str) -> bool:
    table: dict[str, Container[str]] = {
        "channel": app.channels,
        "bridge": app.bridges,
        "endpoint": app.endpoints,
        "deviceState": app.devices,
    }
    return target in table[scheme]


def _parse(pbx: Pbx, sources: list[str]) -> list[tuple[str, str]]:
    if not sources:
        raise bad_request("Missing parameter eventSource")
    parsed = []
    for source in sources:
        scheme, _, target = source.partition(":")
        if scheme not in _SCHEMES or not target:
            raise bad_request("Invalid event source URI scheme")
        if not _exists(pbx, scheme, target):
            raise unprocessable("Event source does not exist")
        parsed.append((scheme, target))
    return parsed


def _exists(pbx: Pbx, scheme: str, target: str) -> bool:
    if scheme == "channel":
        return target in pbx.channels
    if scheme == "bridge":
        return target in pbx.bridges
    if scheme == "endpoint":
        return target in pbx.endpoints or any(k.startswith(f"{target}/") for k in pbx.endpoints)
    return True
