"""A phone transfer to an escalation point (closed mode): the caller ends with the point, or
comes back to their agent, or goes to the front of the queue; never dropped."""

from __future__ import annotations

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.contacts import Phase
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import Activity, ContactEventKind, Outcome
from foundation.errors import RefusedTransition
from tests.engine.test_core import Harness, of, only

POINT = "anb-team-jacht"
NUMBER = "+3211123456"


def talking(h: Harness, caller: str = "c1") -> tuple[str, str]:
    """``caller`` talking to a1: returns the agent leg and the bridge."""
    h.login("a1")
    leg = only(h.queue(caller), cmd.Originate).channel_id
    bridge = only(h.answer(leg, after_s=2), cmd.AddToBridge).bridge_id
    h.feed(inp.PlaybackDone("none"), after_s=60)  # a minute of talk
    return leg, bridge


def transfer(h: Harness) -> tuple[list[cmd.Command], str]:
    out = h.feed(inp.TransferRequested("a1", POINT, NUMBER))
    return out, only(out, cmd.Originate).channel_id


def test_the_point_answers_the_caller_is_bridged_with_it_and_the_agent_freed():
    h = Harness()
    agent_leg, bridge = talking(h)
    out, point_leg = transfer(h)
    assert cmd.RemoveFromBridge(bridge, (agent_leg,)) in out
    assert only(out, cmd.Play).channel_id == "c1"  # "please hold while I try"
    originate = only(out, cmd.Originate)
    assert originate.endpoint == f"PJSIP/{NUMBER}@trunk"
    assert legs.decode(originate.app_args) == legs.EscalationLeg(POINT, "ct-1")
    assert originate.originator == "c1"
    waiting = h.core.agents["a1"].activity
    assert waiting is Activity.ON_CALL  # waits for the point to answer

    out = h.feed(inp.EscalationAnswered(point_leg), after_s=8)
    assert cmd.AddToBridge(bridge, (point_leg,)) in out
    assert cmd.Hangup(agent_leg) in out
    assert cmd.StopMoh("c1") in out
    assert h.core.agents["a1"].activity is Activity.WRAP_UP

    out = h.feed(inp.ChannelGone("c1"), after_s=120)  # the caller ends the call with the point
    assert cmd.Hangup(point_leg) in out
    assert cmd.DestroyBridge(bridge) in out
    (ended,) = h.ended()
    assert (ended.outcome, ended.escalation_point, ended.agent_id) == (
        Outcome.ESCALATED_PHONE,
        POINT,
        "a1",
    )
    assert ended.transferred_at is not None
    assert ended.answered_at is not None
    # The agent's talk time ends at the transfer, not when the caller hung up on the point.
    talk = (ended.transferred_at - ended.answered_at).total_seconds()
    assert h.core.agents["a1"].talk_time_today_s == talk == 68


def test_a_busy_point_brings_the_caller_back_to_the_agent_who_waits():
    h = Harness()
    agent_leg, bridge = talking(h)
    _, point_leg = transfer(h)
    out = h.feed(inp.ChannelGone(point_leg, 17), after_s=2)
    assert cmd.AddToBridge(bridge, (agent_leg,)) in out
    (contact,) = h.core.contacts.values()
    assert contact.phase is Phase.CONNECTED
    assert contact.record.escalation_point is None
    assert h.core.agents["a1"].activity is Activity.ON_CALL
    kinds = [e.kind for e in h.events]
    assert kinds[-2:] == [ContactEventKind.TRANSFER_STARTED, ContactEventKind.TRANSFER_FAILED]


@pytest.mark.parametrize(
    ("cause", "said"),
    [
        (17, "busy"),
        (19, "no answer"),
        (18, "no response from the far side"),
        (None, "the escalation point's leg ended"),
    ],
)
def test_the_log_says_why_the_point_was_not_reached(
    cause: int | None, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The causes a real Asterisk 22 gives a trunk leg that never answered (486 Busy Here ->
    17, the originate timeout -> 19, no SIP answer at all -> 18) read as words in the log."""
    h = Harness()
    talking(h)
    _, point_leg = transfer(h)
    with caplog.at_level("INFO", logger="acd.engine.transfers"):
        h.feed(inp.ChannelGone(point_leg, cause), after_s=2)
    assert f"transfer to {POINT} failed ({said}" in caplog.text


def test_a_failed_transfer_after_a_mailed_question_still_ends_escalated_by_email():
    h = Harness()
    talking(h)
    h.feed(inp.EmailEscalated("a1", "vlabel"))
    _, point_leg = transfer(h)
    h.feed(inp.ChannelGone(point_leg, 17), after_s=2)  # the point is busy
    (contact,) = h.core.contacts.values()
    assert contact.record.escalation_point == "vlabel"
    h.feed(inp.ChannelGone("c1"), after_s=30)
    (ended,) = h.ended()
    assert (ended.outcome, ended.escalation_point) == (Outcome.ESCALATED_EMAIL, "vlabel")


def test_a_point_that_never_answers_after_the_agent_left_puts_the_caller_first_in_the_queue():
    h = Harness()
    agent_leg, bridge = talking(h)
    h.queue("c2")  # waiting since before the transfer
    _, point_leg = transfer(h)
    h.feed(inp.ChannelGone(agent_leg), after_s=1)  # the agent hangs up: free again
    assert h.core.agents["a1"].activity is Activity.WRAP_UP

    out = h.feed(inp.TimerFired(TimerKey(TimerKind.TRANSFER, "ct-1")), after_s=40)
    assert cmd.Hangup(point_leg) in out
    assert cmd.DestroyBridge(bridge) in out
    assert cmd.StartMoh("c1", "default") in out
    out = h.feed(inp.AgentLogin("a2"), after_s=1)
    assert only(out, cmd.Originate).originator == "c1"  # before c2, who waited longer


def test_a_caller_who_hangs_up_during_the_transfer_releases_the_point_and_the_agent():
    h = Harness()
    agent_leg, _ = talking(h)
    _, point_leg = transfer(h)
    out = h.feed(inp.ChannelGone("c1"), after_s=3)
    assert {cmd.Hangup(point_leg), cmd.Hangup(agent_leg)} <= set(of(out, cmd.Hangup))
    (ended,) = h.ended()
    assert ended.outcome is Outcome.ANSWERED
    assert h.core.agents["a1"].activity is Activity.WRAP_UP


def test_only_an_agent_talking_to_a_caller_may_transfer():
    h = Harness()
    h.login("a1")
    with pytest.raises(RefusedTransition, match="not talking"):
        h.feed(inp.TransferRequested("a1", POINT, NUMBER))
    talking(h)
    transfer(h)
    with pytest.raises(RefusedTransition, match="not talking"):  # already transferring
        h.feed(inp.TransferRequested("a1", POINT, NUMBER))
