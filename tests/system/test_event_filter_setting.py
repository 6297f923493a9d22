"""``ari.event_filter``: on by default the engine narrows its application's events to the
types it reads; switched off (to measure what that saves: bench/realpbx_e2e.py) it clears a
filter an earlier engine left, so every event arrives."""

from __future__ import annotations

from pathlib import Path

from acd.ari import events as ev
from acd.engine.runtime import ENGINE_EVENTS
from tests.system.harness import system


async def test_by_default_the_application_gets_only_the_engines_event_types(
    tmp_path: Path,
) -> None:
    async with system(tmp_path) as sys_:
        app = sys_.emu.pbx.bus.apps
        await sys_.until(lambda: "acd" in app and bool(app["acd"].events_allowed), 10)
        allowed = {item["type"] for item in app["acd"].events_allowed}
        assert allowed == set(ev.type_names(ENGINE_EVENTS))
        assert "ChannelVarset" not in allowed


async def test_switched_off_the_application_gets_every_event(tmp_path: Path) -> None:
    async with system(tmp_path, overrides={"ari.event_filter": "false"}) as sys_:
        app = sys_.emu.pbx.bus.apps
        # What an earlier engine (with the filter) left on the application.
        await sys_.until(lambda: "acd" in app, 10)
        await sys_.engine.ari.set_event_filter("acd", allowed=["StasisStart"])
        assert app["acd"].events_allowed
        reconnects = sys_.engine.stream.reconnects
        await sys_.emu.drop_websockets()  # the engine connects again, and clears the filter
        await sys_.until(lambda: sys_.engine.stream.reconnects > reconnects, 30)
        await sys_.until(lambda: not app["acd"].events_allowed, 10)
        assert app["acd"].events_disallowed == []
