"""A restart in the middle of a survey or of a recorded call (acd.engine.recovery): the caller
answering the survey goes on at the question reached, never queued for a new agent; a recording
still gets its end, so its retention can delete it.

As in ``test_recovery.py``: a first core runs to some point, a second starts from nothing but
the newest stored snapshot of each contact and what Asterisk would list."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.contacts import Phase
from acd.engine.core import EngineCore
from acd.engine.model import LineConfig, RecordingRule
from acd.engine.recording import recording_name
from foundation.contact import Activity, ContactEventKind, Outcome
from tests.engine.test_core import Harness, make_config, of, only
from tests.engine.test_recovery import Pbx, stored
from tests.engine.test_survey import QUESTIONS, RULE, steps
from tests.engine.test_transfers import talking


def lines(*, survey: bool = True, recording: RecordingRule | None = None) -> tuple[LineConfig, ...]:
    base = make_config().lines
    first = replace(base[0], survey=RULE if survey else None)
    if recording is not None:
        first = replace(first, recording=recording)
    return (first, *base[1:])


def restarted(h: Harness, config: tuple[LineConfig, ...], *agents: str) -> Harness:
    """A new core 5 s later on ``config``, these agents restored as the old core stored them."""
    again = Harness()
    counter = itertools.count(1)
    again.core = EngineCore(
        make_config(lines=config, wrap_up_s=0.0), ids=lambda p: f"{p}-r{next(counter)}"
    )
    again.now = h.now + timedelta(seconds=5)
    again.core.restore_agents([h.core.agents[a].record(h.now) for a in agents], again.now)
    return again


def in_survey_after(h: Harness, *digits: str) -> str:
    """c1 sent to the survey by a1's "To survey", then keying ``digits``; returns the
    contact id."""
    talking(h)
    h.feed(inp.SurveyRequested("a1"))
    for digit in digits:
        h.feed(inp.DtmfReceived("c1", digit), after_s=1)
    (contact,) = h.core.contacts
    return contact


def test_a_caller_answering_the_survey_at_the_restart_is_asked_the_next_question_not_queued():
    h = Harness(lines=lines(), wrap_up_s=0.0)
    contact = in_survey_after(h, "7", "5")
    (record,) = stored(h)
    assert record.survey_question == 2  # two answered: the third is the one reached
    assert record.survey_started_at is not None
    kinds = [e.kind for e in h.events]
    assert ContactEventKind.SURVEY_STARTED in kinds
    assert kinds.count(ContactEventKind.SURVEY_QUESTION) == 2

    pbx = Pbx()
    pbx.caller("c1")  # alone, answered, in no bridge
    after = restarted(h, lines(), "a1")
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.Originate)  # nobody is rung for this caller
    (play,) = of(out, cmd.Play)
    assert play.channel_id == "c1"
    assert play.media == QUESTIONS[2].prompt  # the third question, no intro
    assert after.core.contacts[contact].phase is Phase.SURVEY
    assert after.core.agents["a1"].activity is Activity.IDLE  # free for the next caller
    assert not steps(out, cmd.SurveyStepKind.STARTED)  # counted once, by the first run

    answers = []
    for digit in ("9", "*"):
        out = after.feed(inp.DtmfReceived("c1", digit), after_s=1)
        answers += steps(out, cmd.SurveyStepKind.ANSWERED)
    assert [(a.question, a.position, a.score) for a in answers] == [
        ("information", 2, 9),
        ("recommend", 3, 10),
    ]
    assert not any(a.first for a in answers)  # whether they had answered before is not known
    thanks = only(out, cmd.Play)
    assert thanks.media == RULE.survey.thanks
    out = after.feed(inp.PlaybackDone(thanks.playback_id))
    assert cmd.Hangup("c1") in out
    (ended,) = after.ended()
    assert (ended.id, ended.outcome, ended.agent_id) == (contact, Outcome.ANSWERED, "a1")
    # Talk time ends when the survey began, across the restart: a minute, not the survey too.
    assert after.core.agents["a1"].talk_time_today_s == pytest.approx(60.0)


def test_a_caller_hearing_the_thanks_at_the_restart_hears_them_and_is_hung_up():
    h = Harness(lines=lines(), wrap_up_s=0.0)
    in_survey_after(h, "7", "5", "8", "2")
    (record,) = stored(h)
    assert record.survey_question == len(QUESTIONS)
    pbx = Pbx()
    pbx.caller("c1")
    after = restarted(h, lines(), "a1")
    thanks = only(after.feed(pbx.state(stored(h))), cmd.Play)
    assert thanks.media == RULE.survey.thanks
    assert not steps(after.feed(inp.DtmfReceived("c1", "4")), cmd.SurveyStepKind.ANSWERED)
    assert cmd.Hangup("c1") in after.feed(inp.PlaybackDone(thanks.playback_id))
    assert after.ended()[0].outcome is Outcome.ANSWERED


def test_a_survey_switched_off_across_the_restart_hangs_the_caller_up_answered():
    h = Harness(lines=lines(), wrap_up_s=0.0)
    in_survey_after(h, "7")
    pbx = Pbx()
    pbx.caller("c1")
    after = restarted(h, lines(survey=False), "a1")
    out = after.feed(pbx.state(stored(h)))
    assert cmd.Hangup("c1") in out
    assert not of(out, cmd.Originate)
    assert after.ended()[0].outcome is Outcome.ANSWERED


def test_the_agent_leg_and_bridge_left_by_to_survey_are_released_and_the_survey_goes_on():
    # Killed after the survey's start was stored, before Asterisk had hung the agent up.
    h = Harness(lines=lines(), wrap_up_s=0.0)
    h.login("a1")
    originate = only(h.queue("c1"), cmd.Originate)
    bridge = only(h.answer(originate.channel_id, after_s=2), cmd.AddToBridge).bridge_id
    h.feed(inp.SurveyRequested("a1"), after_s=60)
    (contact,) = h.core.contacts
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)
    pbx.bridge(bridge, "c1", originate.channel_id)
    after = restarted(h, lines(), "a1")
    out = after.feed(pbx.state(stored(h)))
    assert cmd.Hangup(originate.channel_id) in out
    assert cmd.DestroyBridge(bridge) in out
    assert only(out, cmd.Play).media == QUESTIONS[0].prompt
    assert after.core.contacts[contact].phase is Phase.SURVEY
    assert after.core.agents["a1"].activity is Activity.IDLE


def recorded_call(
    rule: RecordingRule, *, on_demand: bool = False
) -> tuple[Harness, cmd.Originate, str]:
    """c1 talking to a1 with its bridge recorded; returns the harness, the agent leg's
    originate and the bridge."""
    h = Harness(lines=lines(survey=False, recording=rule))
    h.login("a1")
    originate = only(h.queue("c1"), cmd.Originate)
    out = h.answer(originate.channel_id, after_s=2)
    if on_demand:
        out = h.feed(inp.RecordRequested("a1"), after_s=10)
    bridge = only(out, cmd.RecordBridge).bridge_id
    return h, originate, bridge


@pytest.mark.parametrize("on_demand", [False, True])
def test_a_recorded_call_taken_up_after_the_restart_ends_its_recording_with_the_call(on_demand):
    rule = RecordingRule(share=0.0 if on_demand else 1.0)
    h, originate, bridge = recorded_call(rule, on_demand=on_demand)
    started_at = h.now
    (record,) = stored(h)
    assert record.recording_started_at == started_at
    assert h.events[-1].kind is ContactEventKind.RECORDING_STARTED
    pbx = Pbx()
    pbx.caller("c1")
    pbx.answered_leg(originate)
    pbx.bridge(bridge, "c1", originate.channel_id)
    after = restarted(h, lines(survey=False, recording=rule), "a1")
    out = after.feed(pbx.state(stored(h)))
    assert not of(out, cmd.RecordBridge)  # Asterisk records it still: not started twice
    assert not of(out, cmd.RecordingStep)
    out = after.feed(inp.ChannelGone("c1", 16), after_s=30)
    (step,) = of(out, cmd.RecordingStep)
    assert step.name == recording_name(record.id)
    assert (step.started_at, step.ended_at) == (started_at, after.now)
    assert step.on_demand is on_demand
    assert (step.agent_id, step.line) == ("a1", "1700")


def test_a_recorded_call_that_ended_while_the_engine_was_away_gets_its_recording_ended():
    rule = RecordingRule(share=1.0)
    h, _, _ = recorded_call(rule)
    after = restarted(h, lines(survey=False, recording=rule), "a1")
    out = after.feed(Pbx().state(stored(h)))  # nothing left in Asterisk
    (step,) = of(out, cmd.RecordingStep)
    assert step.ended_at == after.now
    assert after.ended()[0].outcome is Outcome.ANSWERED


def test_a_recorded_caller_in_the_survey_at_the_restart_has_the_recording_end_at_its_start():
    rule = RecordingRule(share=1.0)
    config = replace(lines(recording=rule)[0], survey=RULE), *lines()[1:]
    h = Harness(lines=config, wrap_up_s=0.0)
    h.login("a1")
    leg = only(h.queue("c1"), cmd.Originate).channel_id
    h.answer(leg, after_s=2)
    out = h.feed(inp.SurveyRequested("a1"), after_s=60)
    survey_at = h.now
    (ended_then,) = of(out, cmd.RecordingStep)
    assert ended_then.ended_at == survey_at
    pbx = Pbx()
    pbx.caller("c1")
    after = restarted(h, config, "a1")
    out = after.feed(pbx.state(stored(h)))
    (step,) = of(out, cmd.RecordingStep)  # written again, the same: a lost write is repaired
    assert step == ended_then
    assert not of(out, cmd.RecordBridge)
