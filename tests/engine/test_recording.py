"""Call recording in the core: the line's share of bridged calls recorded, named by the
contact, the "may be recorded" prompt before the welcome, a supervisor's request, the end."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.model import RecordingRule
from acd.engine.recording import recorded
from foundation.errors import RefusedTransition
from tests.engine.test_core import GENERAL, Harness, make_config, of, only
from tests.engine.test_transfers import talking


def recording(rule: RecordingRule) -> Harness:
    base = make_config()
    lines = (replace(base.lines[0], recording=rule), *base.lines[1:])
    return Harness(lines=lines)


def test_a_line_recording_every_call_records_the_bridge_once_bridged_and_ends_with_it() -> None:
    h = recording(RecordingRule(share=1.0, announce=("sound:may-be-recorded",)))
    h.login("a1")
    welcome = only(h.arrive("c1"), cmd.Play)
    assert welcome.media == ("sound:may-be-recorded", "sound:welcome")
    leg = only(h.feed(inp.PlaybackDone(welcome.playback_id)), cmd.Originate).channel_id
    out = h.answer(leg, after_s=2)
    start = only(out, cmd.RecordBridge)
    contact = next(iter(h.core.contacts))
    assert start == cmd.RecordBridge(f"br-{contact}", f"rec-{contact}", "wav")
    (step,) = of(out, cmd.RecordingStep)
    assert (step.agent_id, step.line_code, step.ended_at) == ("a1", GENERAL, None)
    out = h.feed(inp.ChannelGone("c1", 16), after_s=60)
    (ended,) = of(out, cmd.RecordingStep)
    assert ended.ended_at == h.now
    assert ended.started_at == step.started_at


def test_no_share_no_recording_until_a_supervisor_asks_once() -> None:
    h = recording(RecordingRule(share=0.0))
    with pytest.raises(RefusedTransition, match="not talking"):
        h.feed(inp.RecordRequested("a1"))
    talking(h)
    assert not of(h.feed(inp.PlaybackDone("none")), cmd.RecordBridge)
    out = h.feed(inp.RecordRequested("a1"))
    (step,) = of(out, cmd.RecordingStep)
    assert step.on_demand
    assert len(of(out, cmd.RecordBridge)) == 1
    assert not of(h.feed(inp.RecordRequested("a1")), cmd.RecordBridge)  # already recording


def test_the_share_per_line_code_is_respected_within_statistical_bounds() -> None:
    # 10,000 calls with ids shaped as the engine's (random_ids: 12 random hex digits), from a
    # seeded generator; 20 % recorded: the binomial standard deviation is 40 calls, so the
    # bounds are 4 of them either side.
    rng = random.Random(15)
    ids = [f"ct-{rng.getrandbits(48):012x}" for _ in range(10_000)]
    picked = sum(recorded(i, 0.2) for i in ids)
    assert 1_840 <= picked <= 2_160
    rule = RecordingRule(share=0.0, by_line_code={GENERAL: 1.0})
    assert rule.share_for(GENERAL) == 1.0
    assert rule.share_for("other") == 0.0


def test_a_refused_recording_is_forgotten_and_its_call_never_taken_up_as_recorded() -> None:
    h = recording(RecordingRule(share=1.0))
    h.login("a1")
    welcome = only(h.arrive("c1"), cmd.Play)
    leg = only(h.feed(inp.PlaybackDone(welcome.playback_id)), cmd.Originate).channel_id
    start = only(h.answer(leg, after_s=2), cmd.RecordBridge)
    out = h.feed(inp.RecordingRefused(start.name, "500 Internal Server Error"))
    (step,) = of(out, cmd.RecordingStep)
    assert (step.name, step.refused, step.agent_id) == (start.name, True, "a1")
    (contact,) = h.core.contacts.values()
    assert contact.record.recording_started_at is None  # recovery would take it up
    assert not of(h.feed(inp.ChannelGone("c1", 16), after_s=30), cmd.RecordingStep)


def test_a_refusal_after_the_call_ended_still_drops_the_row() -> None:
    h = recording(RecordingRule(share=1.0))
    h.login("a1")
    welcome = only(h.arrive("c1"), cmd.Play)
    leg = only(h.feed(inp.PlaybackDone(welcome.playback_id)), cmd.Originate).channel_id
    start = only(h.answer(leg, after_s=2), cmd.RecordBridge)
    (ended,) = of(h.feed(inp.ChannelGone("c1", 16), after_s=1), cmd.RecordingStep)
    assert ended.ended_at is not None
    (step,) = of(
        h.feed(inp.RecordingRefused(start.name, "404 Bridge not found")), cmd.RecordingStep
    )
    assert (step.name, step.refused) == (start.name, True)
