"""The contact's mixing bridge: ready while the agent's phone rings, both channels put in it by
one request when the agent answers, the caller's music stopped only once they are in it; kept
for the next offer when one rings out, and for the next call once the call's channels have left
it (acd/engine/bridges.py), never while anything of an earlier call may be in it."""

from __future__ import annotations

import asyncio

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.ari_commands import independent_batches
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import Activity, ContactEventKind, OfferResult, Outcome
from tests.engine.test_core import Harness, of, only
from tests.engine.test_recovery import Pbx, restarted, stored
from tests.engine.test_runtime import playback_finished, runtime_with, stasis_start
from tests.fakes import AriCall, FakeAriClient

BRIDGE = "br-ct-1"  # the first contact's bridge under the harness's ids


def ringing(h: Harness) -> tuple[list[cmd.Command], str]:
    """c1 offered to a1; returns the offer's commands and the agent leg."""
    h.login("a1")
    out = h.queue("c1")
    return out, only(out, cmd.Originate).channel_id


def test_the_contact_counts_as_answered_only_once_ari_has_bridged_both():
    h = Harness()
    _, leg = ringing(h)
    out = h.feed(inp.AgentLegAnswered(leg), after_s=3)
    assert ContactEventKind.ANSWERED not in [e.kind for e in h.events]
    assert h.core.agents["a1"].activity is Activity.RESERVED  # as it was: not on call yet
    assert not of(out, cmd.CancelTimer)  # the ring guard stays until the bridge is made
    h.feed(inp.LegsBridged(BRIDGE, ("c1", leg)), after_s=0.004)
    # mypy keeps the activity narrowed across h.feed(), which changes it.
    assert [e.kind for e in h.events][-1] is ContactEventKind.ANSWERED
    assert h.core.agents["a1"].activity is Activity.ON_CALL  # type: ignore[comparison-overlap]
    assert h.core.agents["a1"].contacts_today == 1
    (contact,) = h.core.contacts.values()
    assert contact.record.answered_at == h.now  # talk time from the moment they can talk


def test_a_caller_gone_between_the_answer_and_the_bridge_abandoned_the_call():
    h = Harness()
    _, leg = ringing(h)
    h.feed(inp.AgentLegAnswered(leg), after_s=3)
    out = h.feed(inp.ChannelGone("c1"))  # StasisEnd; then the addChannel answers 400
    out += h.feed(inp.ChannelMissing("c1"))
    assert cmd.Hangup(leg) in out
    assert cmd.DestroyBridge(BRIDGE) in out
    (record,) = h.ended()
    assert (record.outcome, record.answered_at, record.agent_id) == (Outcome.ABANDONED, None, None)
    assert [o.result for o in record.offers] == [OfferResult.CANCELLED]
    agent = h.core.agents["a1"]
    assert (agent.activity, agent.contacts_today) == (Activity.IDLE, 0)
    # An addChannel 204 that still came (it crossed the hang-up) changes nothing.
    assert h.feed(inp.LegsBridged(BRIDGE, ("c1", leg))) == []


def test_an_agent_gone_between_the_answer_and_the_bridge_leaves_the_caller_queued_with_music():
    h = Harness()
    _, leg = ringing(h)
    h.feed(inp.AgentLegAnswered(leg), after_s=3)
    out = h.feed(inp.ChannelGone(leg, 16))
    # The caller may be in the bridge already, music stopped: out of it, music again.
    assert out.index(cmd.DestroyBridge(BRIDGE)) < out.index(cmd.StartMoh("c1", "default"))
    (contact,) = h.core.contacts.values()
    assert (contact.phase.value, contact.bridge_id, contact.record.answered_at) == (
        "queued",
        None,
        None,
    )
    assert ContactEventKind.ANSWERED not in [e.kind for e in h.events]
    assert h.feed(inp.LegsBridged(BRIDGE, ("c1", leg))) == []


def test_the_bridge_exists_before_the_agent_answers():
    out, _ = ringing(Harness())
    assert only(out, cmd.CreateBridge) == cmd.CreateBridge(BRIDGE)
    # The agent's phone is dialled first: making the bridge must not delay the ringing.
    assert out.index(only(out, cmd.Originate)) < out.index(cmd.CreateBridge(BRIDGE))


def test_the_answer_puts_both_channels_in_with_one_request_then_stops_the_music():
    h = Harness()
    _, leg = ringing(h)
    out = h.answer(leg, after_s=3)
    assert not of(out, cmd.CreateBridge)
    assert of(out, cmd.AddToBridge) == [cmd.AddToBridge(BRIDGE, ("c1", leg))]
    # The caller hears music until they are in the bridge with the agent: never silence.
    assert out.index(cmd.AddToBridge(BRIDGE, ("c1", leg))) < out.index(cmd.StopMoh("c1"))
    # The two run in one batch: the stop waits for the addChannel's answer.
    ari_commands: list[cmd.AriCommand] = [
        c for c in out if isinstance(c, cmd.AddToBridge | cmd.StopMoh)
    ]
    assert independent_batches(ari_commands) == [ari_commands]


@pytest.mark.parametrize(
    ("ending", "result"),
    [
        (lambda leg: inp.ChannelGone(leg, 19), OfferResult.NO_ANSWER),
        (lambda leg: inp.ChannelGone(leg, 17), OfferResult.BUSY),
        (lambda leg: inp.OriginateFailed(leg, "Allocation failed"), OfferResult.UNREACHABLE),
        (lambda leg: inp.TimerFired(TimerKey(TimerKind.RING, leg)), OfferResult.NO_ANSWER),
    ],
)
def test_the_bridge_of_an_offer_that_fails_serves_the_next_offer(ending, result):
    h = Harness()
    _, leg = ringing(h)
    out = h.feed(ending(leg), after_s=20)
    assert not of(out, cmd.DestroyBridge)
    (contact,) = h.core.contacts.values()
    assert contact.record.offers[-1].result is result
    out = h.feed(inp.AgentLogin("a2"))  # the next agent: rung at once, no bridge to make
    leg2 = only(out, cmd.Originate).channel_id
    assert not of(out, cmd.CreateBridge)
    out = h.answer(leg2, after_s=2)
    assert of(out, cmd.AddToBridge) == [cmd.AddToBridge(BRIDGE, ("c1", leg2))]


def next_offer(h: Harness, channel: str, agent: str) -> tuple[list[cmd.Command], str]:
    """Another caller, offered to ``agent`` (logged in now); returns the offer and its leg."""
    h.login(agent)
    out = h.queue(channel)
    return out, only(out, cmd.Originate).channel_id


def test_a_caller_who_leaves_the_queue_after_a_failed_offer_leaves_the_bridge_to_the_next():
    h = Harness()
    _, leg = ringing(h)
    h.feed(inp.ChannelGone(leg, 19), after_s=15)
    out = h.feed(inp.ChannelGone("c1"), after_s=30)  # nobody else answers: the caller gives up
    assert not of(out, cmd.DestroyBridge)
    assert not h.core.contacts
    assert h.core.kept_bridges == (BRIDGE,)
    out, leg2 = next_offer(h, "c2", "a2")
    assert not of(out, cmd.CreateBridge)
    assert only(h.answer(leg2, after_s=2), cmd.AddToBridge) == cmd.AddToBridge(BRIDGE, ("c2", leg2))


def test_a_caller_gone_while_the_agent_rings_leaves_the_bridge_to_the_next():
    h = Harness()
    _, leg = ringing(h)
    out = h.feed(inp.ChannelGone("c1"), after_s=5)
    assert cmd.Hangup(leg) in out
    assert not of(out, cmd.DestroyBridge)
    assert h.core.kept_bridges == (BRIDGE,)  # the ringing leg was never in it: free at once
    out, _ = next_offer(h, "c2", "a2")
    assert not of(out, cmd.CreateBridge)


def test_a_bridged_calls_bridge_serves_another_call_only_once_the_hung_up_leg_has_left():
    h = Harness(wrap_up_s=0.0)
    _, leg = ringing(h)
    h.answer(leg, after_s=2)
    out = h.feed(inp.ChannelGone("c1"), after_s=60)  # the caller hangs up
    assert cmd.Hangup(leg) in out
    assert not of(out, cmd.DestroyBridge)
    assert not h.core.kept_bridges  # the agent's leg is in it until Asterisk ends it
    out, leg2 = next_offer(h, "c2", "a2")  # meanwhile: a bridge of its own
    (made,) = of(out, cmd.CreateBridge)
    assert made.bridge_id != BRIDGE
    h.feed(inp.ChannelGone(leg, 16))  # the agent's leg is gone
    assert h.core.kept_bridges == (BRIDGE,)
    h.feed(inp.ChannelGone(leg2, 19), after_s=20)  # c2's offer rings out
    out = h.feed(inp.AgentLogin("a1"))  # c2 to a1, in the bridge taken for it
    assert not of(out, cmd.CreateBridge)
    (c2,) = h.core.contacts.values()
    assert c2.bridge_id == made.bridge_id
    assert h.core.kept_bridges == (BRIDGE,)


def test_a_recorded_calls_bridge_goes_with_the_call():
    h = Harness()
    _, leg = ringing(h)
    h.answer(leg, after_s=2)
    assert of(h.feed(inp.RecordRequested("a1")), cmd.RecordBridge)
    out = h.feed(inp.ChannelGone("c1"), after_s=60)
    assert cmd.DestroyBridge(BRIDGE) in out  # Asterisk's recorder is in it
    assert not h.core.kept_bridges


def test_a_reconnection_frees_a_bridge_whose_leg_left_unseen_and_forgets_one_asterisk_lost():
    h = Harness()
    _, leg = ringing(h)
    h.answer(leg, after_s=2)
    h.feed(inp.ChannelGone("c1"), after_s=60)
    assert not h.core.kept_bridges
    # The events socket dropped; the agent's leg went meanwhile; the bridge is still there.
    h.feed(inp.AriState(channels=(), bridges=(inp.LiveBridge(BRIDGE, frozenset(), True),)))
    assert h.core.kept_bridges == (BRIDGE,)
    # Asterisk restarted: no bridge of ours is left, so none is handed out.
    h.feed(inp.AriState(channels=(), bridges=()))
    assert not h.core.kept_bridges
    out, _ = next_offer(h, "c2", "a2")
    assert len(of(out, cmd.CreateBridge)) == 1


def test_a_restart_keeps_the_bridge_of_a_ringing_offer_and_the_answer_uses_it():
    h = Harness()
    offer, _ = ringing(h)
    originate = only(offer, cmd.Originate)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.ringing_leg(originate)
    pbx.bridge(BRIDGE)  # made at offer time, nobody in it yet

    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.DestroyBridge)
    out = after.answer(originate.channel_id, after_s=2)
    assert not of(out, cmd.CreateBridge)
    assert only(out, cmd.AddToBridge) == cmd.AddToBridge(BRIDGE, ("c1", originate.channel_id))


def test_a_restart_bridges_an_agent_who_answered_meanwhile_in_the_bridge_already_made():
    h = Harness()
    offer, _ = ringing(h)
    originate = only(offer, cmd.Originate)
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)
    pbx.bridge(BRIDGE)

    out = restarted(h, "a1").feed(pbx.state(stored(h)))
    assert not of(out, cmd.CreateBridge)
    assert not of(out, cmd.DestroyBridge)
    assert only(out, cmd.AddToBridge) == cmd.AddToBridge(BRIDGE, ("c1", originate.channel_id))


def test_a_restart_keeps_the_empty_bridge_of_an_offer_that_ended_meanwhile_for_the_next():
    h = Harness()
    ringing(h)
    pbx = Pbx()
    pbx.caller("c1")  # the agent's leg is gone: the caller waits alone
    pbx.bridge(BRIDGE)
    pbx.bridge("br-ct-0", "someone")  # one with a channel no contact claims: destroyed
    after = restarted(h, "a1")
    out = after.feed(pbx.state(stored(h)))
    assert of(out, cmd.DestroyBridge) == [cmd.DestroyBridge("br-ct-0")]
    # The caller, queued again, is offered to a1 at once, in the bridge kept: none made.
    (contact,) = after.core.contacts.values()
    assert of(out, cmd.Originate)
    assert not of(out, cmd.CreateBridge)
    assert contact.bridge_id == BRIDGE


def test_commands_on_other_resources_run_apart_and_shared_ones_keep_their_order():
    originate = cmd.Originate("ag-1.ct-1", "PJSIP/1001", ("agent",), "1700", 15, "c1")
    create = cmd.CreateBridge("br-ct-1")
    answer = cmd.Answer("c1")
    add = cmd.AddToBridge("br-ct-2", ("c2", "ag-2.ct-2"))
    stop = cmd.StopMoh("c2")
    hangup = cmd.Hangup("c3")
    assert independent_batches([answer, originate, create, add, hangup, stop]) == [
        [answer, originate],
        [create],
        [add, stop],
        [hangup],
    ]
    # A command that touches two batches joins them, every command in its first order.
    join = cmd.AddToBridge("br-ct-1", ("c1",))
    assert independent_batches([answer, create, join]) == [[answer, create, join]]


class SlowAri(FakeAriClient):
    """Each request takes 10 ms (loop time); records when each started and finished."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spans: dict[str, list[tuple[float, float]]] = {}

    async def _respond(self, call: AriCall) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.01)
        self.spans.setdefault(call.name, []).append((started, loop.time()))


async def test_over_the_wire_the_caller_is_in_the_bridge_before_the_music_stops():
    ari = SlowAri()
    runtime, _ = runtime_with(ari)
    runtime.submit(inp.AgentLogin("a1"))
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    (playback,) = [args[2] for args in ari.called("play")]
    runtime.on_event(playback_finished(playback))
    await runtime.drain()
    ((create_start, _),) = ari.spans["create_bridge"]
    ((_, moh_started),) = ari.spans["start_moh"]
    ((originate_start, originate_end),) = ari.spans["originate"]
    assert originate_start == moh_started  # the bridge does not hold the agent's phone up
    assert create_start < originate_end  # it is made while the originate is under way
    leg = ari.calls[[c.name for c in ari.calls].index("originate")].kwargs["channel_id"]
    runtime.on_event(stasis_start(leg, "agent", "a1", leg.partition(".")[2]))
    await runtime.drain()
    assert [c.name for c in ari.calls].count("add_channel") == 1
    (_, channels) = ari.called("add_channel")[0]
    assert channels == ["c1", leg]
    ((_, added), (stopped, _)) = ari.spans["add_channel"][0], ari.spans["stop_moh"][-1]
    assert added <= stopped
    assert runtime.core.agents["a1"].activity is Activity.ON_CALL


def test_a_kept_bridge_destroyed_behind_the_engines_back_is_replaced_at_the_answer():
    h = Harness()
    ringing(h)
    h.feed(inp.ChannelGone("c1"), after_s=5)  # c1 leaves; its bridge is kept
    _, leg2 = next_offer(h, "c2", "a2")  # c2's offer takes it
    out = h.feed(inp.AgentLegAnswered(leg2), after_s=2)
    assert only(out, cmd.AddToBridge).bridge_id == BRIDGE
    out = h.feed(inp.BridgeMissing(BRIDGE))  # addChannel answered 404 "Bridge not found"
    (made,) = of(out, cmd.CreateBridge)
    assert made.bridge_id != BRIDGE
    assert only(out, cmd.AddToBridge) == cmd.AddToBridge(made.bridge_id, ("c2", leg2))
    h.feed(inp.LegsBridged(made.bridge_id, ("c2", leg2)))
    (contact,) = h.core.contacts.values()
    assert h.core.agents[contact.agent_id or ""].activity is Activity.ON_CALL
    # Lost again: not retried without end (the ring guard settles the offer).
    assert not h.feed(inp.BridgeMissing(made.bridge_id))
    # The lost bridge is never handed out again.
    h.feed(inp.ChannelGone("c2"), after_s=30)
    h.feed(inp.ChannelGone(leg2, 16))
    assert BRIDGE not in h.core.kept_bridges
