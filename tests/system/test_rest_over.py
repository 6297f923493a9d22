"""``ari.rest_over``: REST requests as messages on the events WebSocket (the default) or over
HTTP; a call goes through either way, and over the WebSocket the application's event filter
lets the answers (``RESTResponse`` events) through, or no request would ever be answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.ari import events as ev
from acd.engine.runtime import ENGINE_EVENTS
from foundation.contact import Outcome
from tests.system.harness import system


@pytest.mark.parametrize("rest_over", ["websocket", "http"])
async def test_a_call_is_answered_bridged_and_recorded(tmp_path: Path, rest_over: str) -> None:
    async with system(tmp_path, overrides={"ari.rest_over": rest_over}) as s:
        app = s.emu.pbx.bus.apps
        await s.until(lambda: "acd" in app and bool(app["acd"].events_allowed), 10)
        allowed = {item["type"] for item in app["acd"].events_allowed}
        answers = {"RESTResponse"} if rest_over == "websocket" else set()
        assert allowed == set(ev.type_names(ENGINE_EVENTS)) | answers

        s.login("1001")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller))
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        (record,) = await s.records()
        assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "1001")
