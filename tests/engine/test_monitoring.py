"""Listen, whisper, barge in the core: the commands as the recorded Asterisk flow needs them
(``supervisor_whisper_barge.jsonl``), and every way a session ends leaving nothing behind."""

from __future__ import annotations

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from foundation.errors import RefusedTransition
from tests.engine.test_core import Harness, ari_state, of, only

LISTEN = inp.MonitorRequested("a1", inp.MonitorMode.LISTEN, "PJSIP/2001", "sam")


def on_call() -> tuple[Harness, str]:
    h = Harness()
    h.login("a1")
    leg: str = only(h.queue(), cmd.Originate).channel_id
    h.answer(leg, after_s=2)
    return h, leg


def monitored(h: Harness, request: inp.MonitorRequested = LISTEN) -> tuple[str, str, str]:
    """The supervisor's phone answered and the snoop in the app: (phone, snoop, spy bridge)."""
    phone = only(h.feed(request), cmd.Originate)
    assert phone.app_args == legs.supervisor_leg_args("a1")
    assert (phone.endpoint, phone.originator) == ("PJSIP/2001", None)
    out = h.feed(inp.MonitorLegEntered(phone.channel_id), after_s=1)
    snoop = only(out, cmd.Snoop)
    bridge = only(out, cmd.CreateBridge)
    assert not of(out, cmd.AddToBridge)  # not before the snoop is in the app
    started = only(out, cmd.NotifyMonitor).event
    assert (started.kind, started.supervisor, started.mode) == ("started", "sam", "listen")
    out = h.feed(inp.MonitorLegEntered(snoop.snoop_id))
    assert only(out, cmd.AddToBridge) == cmd.AddToBridge(
        bridge.bridge_id, (snoop.snoop_id, phone.channel_id)
    )
    return phone.channel_id, snoop.snoop_id, bridge.bridge_id


def test_listen_snoops_both_directions_of_the_agents_leg_and_whisper_speaks_out():
    h, leg = on_call()
    h.feed(LISTEN)
    phone = next(iter(h.core.monitor_sessions.values())).leg_id
    snoop = only(h.feed(inp.MonitorLegEntered(phone)), cmd.Snoop)
    assert (snoop.channel_id, snoop.spy, snoop.whisper) == (leg, "both", "none")
    out = h.feed(inp.MonitorRequested("a1", inp.MonitorMode.WHISPER, "PJSIP/2001", "sam"))
    assert cmd.Hangup(snoop.snoop_id) in out  # a new snoop for the new mode
    assert only(out, cmd.Snoop).whisper == "out"


def test_barge_adds_the_phone_to_the_calls_bridge_and_the_call_ending_hangs_it_up():
    h, _ = on_call()
    barge = inp.MonitorRequested("a1", inp.MonitorMode.BARGE, "PJSIP/2001", "sam")
    phone = only(h.feed(barge), cmd.Originate)
    out = h.feed(inp.MonitorLegEntered(phone.channel_id))
    call_bridge = only(out, cmd.AddToBridge)
    assert call_bridge.channel_ids == (phone.channel_id,)
    assert call_bridge.bridge_id == legs.bridge_id("ct-1")
    out = h.feed(inp.ChannelGone("c1"), after_s=30)  # the caller hangs up
    assert cmd.Hangup(phone.channel_id) in out
    assert only(out, cmd.NotifyMonitor).event.reason == "call_ended"
    assert not h.core.monitor_sessions
    # A bridge a supervisor was in is not kept for another call: destroyed with this one.
    assert cmd.DestroyBridge(call_bridge.bridge_id) in out
    assert not h.core.kept_bridges


def test_the_agents_leg_ending_takes_the_snoop_and_the_phone_and_the_spy_bridge():
    h, leg = on_call()
    phone, snoop, bridge = monitored(h)
    out = h.feed(inp.ChannelGone(leg), after_s=10)
    for wanted in (cmd.Hangup(phone), cmd.Hangup(snoop), cmd.DestroyBridge(bridge)):
        assert wanted in out
    assert h.feed(inp.ChannelGone(snoop)) == []  # its own end later: nothing more


def test_the_supervisor_hanging_up_ends_only_the_session():
    h, leg = on_call()
    phone, snoop, bridge = monitored(h)
    out = h.feed(inp.ChannelGone(phone), after_s=10)
    assert cmd.Hangup(snoop) in out
    assert cmd.DestroyBridge(bridge) in out
    assert not [c for c in out if isinstance(c, cmd.Hangup) and c.channel_id in (leg, "c1")]
    assert only(out, cmd.NotifyMonitor).event.reason == "supervisor_hung_up"


def test_a_phone_that_cannot_be_dialled_or_does_not_answer_ends_the_session():
    h, _ = on_call()
    phone = only(h.feed(LISTEN), cmd.Originate).channel_id
    out = h.feed(inp.OriginateFailed(phone, "500 Allocation failed"))
    assert only(out, cmd.NotifyMonitor).event.reason == "not_answered"
    phone = only(h.feed(LISTEN), cmd.Originate).channel_id
    out = h.feed(inp.ChannelGone(phone, cause=19), after_s=15)
    assert only(out, cmd.NotifyMonitor).event.reason == "not_answered"


def test_refusals_change_nothing():
    h = Harness()
    h.login("a1")
    with pytest.raises(RefusedTransition) as off_call:
        h.feed(LISTEN)
    assert off_call.value.error_id == "not_on_call"
    with pytest.raises(RefusedTransition) as nothing:
        h.feed(inp.MonitorStopRequested("a1"))
    assert nothing.value.error_id == "not_monitored"
    h, _ = on_call()
    h.feed(LISTEN)
    with pytest.raises(RefusedTransition) as taken:
        h.feed(inp.MonitorRequested("a1", inp.MonitorMode.LISTEN, "PJSIP/2002", "other"))
    assert taken.value.error_id == "already_monitored"


def test_a_reconnection_keeps_a_live_session_and_ends_one_whose_phone_is_gone():
    h, leg = on_call()
    phone, snoop, bridge = monitored(h)
    live = frozenset({"c1", leg, phone, snoop})
    out = h.feed(ari_state(set(live), live))
    assert not [c for c in out if isinstance(c, cmd.Hangup | cmd.DestroyBridge)]
    assert h.core.monitor_sessions
    out = h.feed(ari_state({"c1", leg}, frozenset({"c1", leg})))
    assert cmd.DestroyBridge(bridge) in out
    assert not h.core.monitor_sessions
