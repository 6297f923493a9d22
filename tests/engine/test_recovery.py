"""A restarted core takes up the calls an earlier run left in Asterisk (acd.engine.recovery).

Each test runs a first core to some point, keeps what it would have stored (the newest snapshot
of each contact) and what Asterisk would list, then starts a second core from nothing but that,
as ``acd run`` does after a ``kill -9``."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.contacts import Phase
from acd.engine.core import EngineCore
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import Activity, ContactEventKind, ContactRecord, OfferResult, Outcome
from tests.engine.test_core import Harness, make_config, of, only
from tests.engine.test_parts import place_callback


@dataclass
class Pbx:
    """What Asterisk would list after the crash."""

    channels: list[inp.LiveChannel] = field(default_factory=list)
    bridges: list[inp.LiveBridge] = field(default_factory=list)

    def caller(self, channel: str, line: str = "1700", *, up: bool = True) -> None:
        role = legs.InboundCall(("inbound", line))
        self.channels.append(inp.LiveChannel(channel, f"PJSIP/caller-{channel}", up, role))

    def answered_leg(self, originate: cmd.Originate) -> None:
        role = legs.decode(originate.app_args)
        name = f"{originate.endpoint}-00000001"
        self.channels.append(inp.LiveChannel(originate.channel_id, name, True, role))

    def ringing_leg(self, originate: cmd.Originate, *, named: bool = True) -> None:
        name = f"{originate.endpoint}-00000001" if named else "PJSIP/unknown-00000001"
        self.channels.append(
            inp.LiveChannel(originate.channel_id, name, False, None, dialling=True)
        )

    def bridge(self, bridge_id: str, *channels: str) -> None:
        self.bridges.append(inp.LiveBridge(bridge_id, frozenset(channels), True))

    def state(self, stored: list[ContactRecord]) -> inp.AriState:
        return inp.AriState(tuple(self.channels), tuple(self.bridges), tuple(stored))


def stored(h: Harness) -> list[ContactRecord]:
    """The newest snapshot of each contact, as the recorder would have written it."""
    newest: dict[str, ContactRecord] = {}
    for event in h.events:
        newest[event.contact.id] = event.contact
    return list(newest.values())


def restarted(h: Harness, *agents: str) -> Harness:
    """A new core a moment later, these agents restored as the old core stored them."""
    again = Harness()
    counter = itertools.count(1)
    again.core = EngineCore(make_config(), ids=lambda p: f"{p}-r{next(counter)}")
    again.now = h.now + timedelta(seconds=5)
    again.core.restore_agents([h.core.agents[a].record(h.now) for a in agents], again.now)
    return again


def connected_call(h: Harness) -> tuple[cmd.Originate, str]:
    """c1 talking to a1; returns the agent leg's originate and the bridge id."""
    h.login("a1")
    originate = only(h.queue("c1"), cmd.Originate)
    out = h.answer(originate.channel_id, after_s=3)
    return originate, only(out, cmd.AddToBridge).bridge_id


def test_a_bridged_call_stays_bridged_and_is_recorded_once_with_its_full_talk_time():
    h = Harness()
    originate, bridge = connected_call(h)
    answered_at = h.now
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)
    pbx.bridge(bridge, "c1", originate.channel_id)

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.Hangup)
    assert not of(out, cmd.CreateBridge)
    assert not of(out, cmd.AddToBridge)
    assert not of(out, cmd.Originate)
    agent = after.core.agents["a1"]
    assert agent.activity is Activity.ON_CALL
    (contact,) = after.core.contacts.values()
    assert contact.phase is Phase.CONNECTED

    out = after.feed(inp.ChannelGone("c1"), after_s=60)  # the caller hangs up
    assert cmd.Hangup(originate.channel_id) in out
    assert cmd.DestroyBridge(bridge) in out
    (ended,) = after.ended()
    assert ended.id == stored(h)[0].id  # the same contact, not a new one
    assert ended.outcome is Outcome.ANSWERED
    assert ended.answered_at == answered_at
    assert ended.ended_at is not None
    assert (ended.ended_at - answered_at).total_seconds() == 65  # talk time from the answer
    assert after.core.agents["a1"].activity is Activity.WRAP_UP


def test_a_ringing_offer_keeps_ringing_and_an_answer_bridges_the_call():
    h = Harness()
    h.login("a1")
    originate = only(h.queue("c1"), cmd.Originate)
    h.feed(inp.AgentLegRinging(originate.channel_id), after_s=4)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.ringing_leg(originate)

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.Hangup)
    assert not of(out, cmd.Originate)  # not rung a second time
    ringing = after.core.agents["a1"].activity
    assert ringing is Activity.RINGING
    guard = only(out, cmd.StartTimer)
    assert guard is not None
    assert guard.key == TimerKey(TimerKind.RING, originate.channel_id)

    out = after.answer(originate.channel_id, after_s=2)
    add = only(out, cmd.AddToBridge)
    assert add.channel_ids == ("c1", originate.channel_id)
    assert after.core.agents["a1"].activity is Activity.ON_CALL


def test_a_ringing_offer_that_rings_out_after_the_restart_offers_the_caller_again():
    h = Harness()
    h.login("a1", "a2")
    originate = only(h.queue("c1"), cmd.Originate)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.ringing_leg(originate)

    after = restarted(h, "a1", "a2")
    after.feed(pbx.state(stored(h)))
    out = after.feed(inp.ChannelGone(originate.channel_id, 19), after_s=10)
    again = only(out, cmd.Originate)
    assert again.endpoint != originate.endpoint  # the next agent
    (contact,) = after.core.contacts.values()
    offers = contact.record.offers
    assert [o.result for o in offers] == [OfferResult.NO_ANSWER, None]


def test_an_agent_who_answered_while_the_engine_was_down_is_bridged_at_once():
    h = Harness()
    h.login("a1")
    originate = only(h.queue("c1"), cmd.Originate)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)  # in the app, up, not bridged: its StasisStart was lost

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    add = only(out, cmd.AddToBridge)
    assert add.channel_ids == ("c1", originate.channel_id)
    assert ContactEventKind.ANSWERED not in [e.kind for e in after.events]  # not bridged yet
    after.feed(inp.LegsBridged(add.bridge_id, add.channel_ids))
    assert after.core.agents["a1"].activity is Activity.ON_CALL
    kinds = [e.kind for e in after.events]
    assert ContactEventKind.ANSWERED in kinds


def test_queued_callers_keep_their_order_and_their_wait():
    h = Harness()
    h.queue("c1")
    h.feed(inp.AgentLogout("a1"), after_s=30)  # time passes
    h.queue("c2")
    first_queued = stored(h)[0].queued_at
    pbx = Pbx()
    pbx.caller("c2")  # listed first: the order must come from the records, not from ARI
    pbx.caller("c1")

    after = restarted(h)
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.Play)  # no welcome again
    assert {m.channel_id for m in of(out, cmd.StartMoh)} == {"c1", "c2"}
    out = after.feed(inp.AgentLogin("a1"), after_s=1)
    assert only(out, cmd.Originate).originator == "c1"
    c1 = next(c for c in after.core.contacts.values() if c.caller_channel == "c1")
    assert c1.record.queued_at == first_queued


def test_a_caller_still_hearing_the_welcome_is_welcomed_again_as_the_same_contact():
    h = Harness()
    h.arrive("c1")  # the welcome plays
    pbx = Pbx()
    pbx.caller("c1")

    after = restarted(h)
    out = after.feed(pbx.state(stored(h)))
    assert only(out, cmd.Play).media == ("sound:welcome",)
    (contact,) = after.core.contacts.values()
    assert contact.id == stored(h)[0].id


def test_stored_contacts_whose_callers_are_gone_end_answered_or_abandoned():
    h = Harness()
    connected_call(h)
    h.queue("c2")
    after = restarted(h, "a1")
    after.feed(Pbx().state(stored(h)))  # nobody left in Asterisk
    outcomes = {r.channel_id: r.outcome for r in after.ended()}
    assert outcomes == {"c1": Outcome.ANSWERED, "c2": Outcome.ABANDONED}
    assert not after.core.contacts
    assert after.core.agents["a1"].activity is Activity.IDLE


def test_legs_and_bridges_nobody_claims_are_released():
    h = Harness()
    originate, bridge = connected_call(h)
    pbx = Pbx()
    pbx.answered_leg(originate)  # its caller is gone
    pbx.bridge(bridge, originate.channel_id)
    pbx.bridge("br-someone-elses")  # not ours: left alone
    pbx.bridges[-1] = inp.LiveBridge("br-someone-elses", frozenset(), False)

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert of(out, cmd.Hangup) == [cmd.Hangup(originate.channel_id)]
    assert of(out, cmd.DestroyBridge) == [cmd.DestroyBridge(bridge)]


def test_a_ringing_leg_whose_agent_cannot_be_told_is_hung_up_and_the_caller_queued():
    h = Harness()
    h.login("a1")
    originate = only(h.queue("c1"), cmd.Originate)
    records = stored(h)
    records[0].offers.clear()  # the offer was never written
    pbx = Pbx()
    pbx.caller("c1")
    pbx.ringing_leg(originate, named=False)

    after = restarted(h)
    out = after.feed(pbx.state(records))
    assert cmd.Hangup(originate.channel_id) in out
    (contact,) = after.core.contacts.values()
    assert contact.phase is Phase.QUEUED


def test_a_caller_with_no_stored_record_is_a_new_arrival():
    pbx = Pbx()
    pbx.caller("c9", up=False)
    after = restarted(Harness())
    out = after.feed(pbx.state([]))
    assert cmd.Answer("c9") in out
    assert only(out, cmd.Play).media == ("sound:welcome",)


def test_a_call_found_with_no_record_waits_from_when_asterisk_made_its_channel():
    # The engine died moments after queuing c9, before its lingering record reached the disk
    # (seen on a real Asterisk): the restart adopts the call, and its wait and its place count
    # from the channel's creation, not from the restart.
    after = restarted(Harness())
    made = after.now - timedelta(seconds=40)
    pbx = Pbx()
    pbx.channels.append(
        inp.LiveChannel(
            "c9", "PJSIP/caller-c9", True, legs.InboundCall(("inbound", "1700")), created_at=made
        )
    )
    out = after.feed(pbx.state([]))
    out = after.feed(inp.PlaybackDone(only(out, cmd.Play).playback_id), after_s=3)
    (contact,) = after.core.contacts.values()
    assert (contact.record.arrived_at, contact.record.queued_at) == (made, made)
    after.queue("c10")  # arrived after the restart: behind the adopted caller
    out = after.feed(inp.AgentLogin("a1"), after_s=1)
    assert only(out, cmd.Originate).originator == "c9"
    out = after.answer(only(out, cmd.Originate).channel_id, after_s=2)
    answered = [e.contact for e in after.events if e.kind is ContactEventKind.ANSWERED]
    assert answered[-1].wait_seconds == 46.0  # 40 before the restart, 3 + 1 + 2 after


def test_a_callback_conversation_goes_on_and_its_callback_is_not_recorded_twice():
    h = Harness()
    h.login("a1")
    agent_leg, citizen = place_callback(h)
    h.feed(inp.CitizenAnswered(citizen), after_s=5)  # the attempt is recorded answered now
    (contact,) = h.core.contacts.values()
    pbx = Pbx()
    pbx.channels += [
        inp.LiveChannel(citizen, "PJSIP/cb32470123456-00000002", True, legs.CitizenLeg(contact.id)),
        inp.LiveChannel(agent_leg, "PJSIP/1001-00000001", True, legs.AgentLeg("a1", contact.id)),
    ]
    pbx.bridge(legs.bridge_id(contact.id), citizen, agent_leg)

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.Hangup)
    assert after.core.agents["a1"].activity is Activity.ON_CALL

    out = after.feed(inp.ChannelGone(citizen), after_s=30)  # the citizen hangs up
    assert cmd.Hangup(agent_leg) in out
    assert not of(out, cmd.FinishCallback)  # finished once, when the citizen answered
    (ended,) = after.ended()
    assert (ended.id, ended.outcome) == (contact.id, Outcome.ANSWERED)


def test_a_callback_whose_citizen_still_rings_is_released_for_the_dialer():
    h = Harness()
    h.login("a1")
    agent_leg, citizen = place_callback(h)
    (contact,) = h.core.contacts.values()
    pbx = Pbx()
    pbx.channels += [
        inp.LiveChannel(citizen, "PJSIP/cb32470123456-00000002", False, None, dialling=True),
        inp.LiveChannel(agent_leg, "PJSIP/1001-00000001", True, legs.AgentLeg("a1", contact.id)),
    ]
    pbx.bridge(legs.bridge_id(contact.id), agent_leg)

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert set(of(out, cmd.Hangup)) == {cmd.Hangup(citizen), cmd.Hangup(agent_leg)}
    assert of(out, cmd.DestroyBridge) == [cmd.DestroyBridge(legs.bridge_id(contact.id))]
    (ended,) = after.ended()
    assert ended.outcome is Outcome.CALLBACK_NOT_REACHED
    assert after.core.agents["a1"].activity is Activity.IDLE


def test_a_caller_transferred_to_an_escalation_point_stays_with_it():
    h = Harness()
    _, bridge = connected_call(h)
    h.feed(inp.TransferRequested("a1", "anb", "+3211123456"))
    (contact,) = h.core.contacts.values()
    point_leg = contact.escalation_channel
    assert point_leg is not None
    h.feed(inp.EscalationAnswered(point_leg), after_s=5)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.channels.append(
        inp.LiveChannel(
            point_leg, "PJSIP/trunk-00000009", True, legs.EscalationLeg("anb", contact.id)
        )
    )
    pbx.bridge(bridge, "c1", point_leg)

    after = restarted(h)
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.Hangup)
    out = after.feed(inp.ChannelGone(point_leg), after_s=60)  # the point ends the call
    assert cmd.Hangup("c1") in out
    (ended,) = after.ended()
    assert (ended.outcome, ended.escalation_point) == (Outcome.ESCALATED_PHONE, "anb")


def test_a_transfer_still_ringing_at_the_crash_gives_the_caller_back_to_the_waiting_agent():
    h = Harness()
    originate, bridge = connected_call(h)
    h.feed(inp.TransferRequested("a1", "anb", "+3211123456"))
    (contact,) = h.core.contacts.values()
    point_leg = contact.escalation_channel
    assert point_leg is not None
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)  # off the bridge, waiting
    pbx.channels.append(inp.LiveChannel(point_leg, "PJSIP/trunk-9", False, None, dialling=True))
    pbx.bridge(bridge, "c1")

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert cmd.Hangup(point_leg) in out
    assert out.index(cmd.DestroyBridge(bridge)) < out.index(cmd.CreateBridge(bridge))
    add = only(out, cmd.AddToBridge)
    assert add.channel_ids == ("c1", originate.channel_id)
    after.feed(inp.LegsBridged(add.bridge_id, add.channel_ids))
    assert after.core.agents["a1"].activity is Activity.ON_CALL


def test_a_call_whose_question_was_mailed_still_ends_escalated_by_email_after_a_restart():
    h = Harness()
    originate, bridge = connected_call(h)
    h.feed(inp.EmailEscalated("a1", "vlabel"), after_s=30)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)
    pbx.bridge(bridge, "c1", originate.channel_id)

    after = restarted(h, "a1")
    after.feed(pbx.state(stored(h)))
    after.feed(inp.ChannelGone("c1"), after_s=60)  # the caller hangs up
    (ended,) = after.ended()
    assert (ended.outcome, ended.escalation_point) == (Outcome.ESCALATED_EMAIL, "vlabel")


def test_a_mailed_question_outlives_a_phone_transfer_still_ringing_at_the_crash():
    h = Harness()
    originate, bridge = connected_call(h)
    h.feed(inp.EmailEscalated("a1", "vlabel"), after_s=30)
    h.feed(inp.TransferRequested("a1", "anb", "+3211123456"), after_s=5)
    (contact,) = h.core.contacts.values()
    point_leg = contact.escalation_channel
    assert point_leg is not None
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)
    pbx.channels.append(inp.LiveChannel(point_leg, "PJSIP/trunk-9", False, None, dialling=True))
    pbx.bridge(bridge, "c1")

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert cmd.Hangup(point_leg) in out  # the phone transfer did not happen
    add = only(out, cmd.AddToBridge)  # the caller back with the agent, who is still there
    assert add is not None
    after.feed(inp.LegsBridged(add.bridge_id, add.channel_ids))
    after.feed(inp.ChannelGone("c1"), after_s=60)
    (ended,) = after.ended()
    assert (ended.outcome, ended.escalation_point) == (Outcome.ESCALATED_EMAIL, "vlabel")
