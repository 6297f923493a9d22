"""Every event a real Asterisk 22 sent (tests/data/ari-traces) parses into its typed event."""

from __future__ import annotations

import pytest

from acd.ari.events import ChannelHangupRequest, parse_event
from tests.engine.recorded import TRACE_NAMES, callers, event, find, load, originated


@pytest.mark.parametrize("name", TRACE_NAMES)
def test_every_recorded_event_parses_into_its_typed_event(name):
    # RESTResponse: answers to REST over the WebSocket, taken by acd.ari.ws_rest, never events.
    unmodelled = {"ChannelConnectedLine", "ChannelCreated", "ChannelDialplan", "RESTResponse"}
    for entry in load(name):
        if entry["dir"] != "event":
            continue
        raw = entry["event"]
        parsed = parse_event(raw)
        expected = "UnknownEvent" if raw["type"] in unmodelled else raw["type"]
        assert type(parsed).__name__ == expected, (raw, parsed)


def test_hangup_request_causes_parse_as_recorded():
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    by_phone = parse_event(entries[find(entries, event("ChannelHangupRequest", caller))]["event"])
    leg = originated(entries, "PJSIP/agent1")
    by_app = parse_event(entries[find(entries, event("ChannelHangupRequest", leg))]["event"])
    assert isinstance(by_phone, ChannelHangupRequest)
    assert isinstance(by_app, ChannelHangupRequest)
    assert (by_phone.cause, by_phone.soft) == (None, False)  # a SIP BYE: no cause at all
    assert (by_app.cause, by_app.soft) == (32, True)  # DELETE: the soft-hangup flag
