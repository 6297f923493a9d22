"""The survey after the call in the core: the caller leaves the agent's bridge and answers
alone; the agent is free at once; every answer is a SurveyStep as it is keyed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.ari_commands import independent_batches
from acd.engine.contacts import Phase
from acd.engine.model import SurveyRule
from acd.engine.survey import chosen
from foundation.contact import Activity, Outcome
from foundation.errors import RefusedTransition
from ivr.survey import SurveyConfig, SurveyQuestion
from tests.engine.test_core import Harness, make_config, of, only
from tests.engine.test_transfers import talking

QUESTIONS = tuple(
    SurveyQuestion(q, (f"sound:survey-{q}",))
    for q in ("waiting_time", "politeness", "information", "recommend")
)
RULE = SurveyRule(SurveyConfig(QUESTIONS))


def surveyed(share: float = 1.0, after_agent_hangup: bool = True) -> Harness:
    base = make_config()
    rule = replace(RULE, share=share, after_agent_hangup=after_agent_hangup)
    lines = (replace(base.lines[0], survey=rule), *base.lines[1:])
    return Harness(lines=lines, wrap_up_s=0.0)


def steps(out: list[cmd.Command], kind: cmd.SurveyStepKind) -> list[cmd.SurveyStep]:
    return [s for s in of(out, cmd.SurveyStep) if s.kind is kind]


def key(h: Harness, digit: str) -> list[cmd.Command]:
    return h.feed(inp.DtmfReceived("c1", digit), after_s=1)


def test_to_survey_frees_the_agent_and_stores_each_answer_as_it_is_keyed() -> None:
    h = surveyed()
    agent_leg, bridge = talking(h)
    out = h.feed(inp.SurveyRequested("a1"))
    assert cmd.Hangup(agent_leg) in out
    assert cmd.DestroyBridge(bridge) in out
    assert only(out, cmd.Play).channel_id == "c1"
    (started,) = steps(out, cmd.SurveyStepKind.STARTED)
    assert (started.agent_id, started.line, started.line_code) == (
        "a1",
        "1700",
        "1700 Andere Vragen",
    )
    assert h.core.contacts[started.contact_id].phase is Phase.SURVEY
    assert h.core.agents["a1"].contact_id is None  # free for the next call

    answers = []
    for digit in ("8", "*", "1", "0", "3"):
        out = key(h, digit)
        answers += steps(out, cmd.SurveyStepKind.ANSWERED)
    assert [(a.question, a.score, a.first) for a in answers] == [
        ("waiting_time", 8, True),
        ("politeness", 10, False),
        ("information", 10, False),
        ("recommend", 3, False),
    ]
    thanks = only(out, cmd.Play)
    assert thanks.media == RULE.survey.thanks
    assert key(h, "9") == []  # no fifth question: a key during the thanks means nothing
    out = h.feed(inp.PlaybackDone(thanks.playback_id))
    assert cmd.Hangup("c1") in out
    (ended,) = h.ended()
    assert ended.outcome is Outcome.ANSWERED
    assert ended.agent_id == "a1"


def test_a_caller_hanging_up_after_two_answers_leaves_two_and_ends_answered() -> None:
    h = surveyed()
    agent_leg, _ = talking(h)
    h.feed(inp.ChannelGone(agent_leg, 16))  # the agent hangs up: the line sends callers on
    given = steps(key(h, "7"), cmd.SurveyStepKind.ANSWERED)
    given += steps(key(h, "5"), cmd.SurveyStepKind.ANSWERED)
    out = h.feed(inp.ChannelGone("c1", 16), after_s=3)
    assert [a.score for a in given] == [7, 5]
    assert not of(out, cmd.SurveyStep)
    (ended,) = h.ended()
    assert ended.outcome is Outcome.ANSWERED


def test_the_agent_is_offered_the_next_call_while_the_caller_is_still_in_the_survey() -> None:
    h = surveyed()
    talking(h)
    h.feed(inp.SurveyRequested("a1"))
    out = h.queue("c2")
    assert only(out, cmd.Originate).app_args[1] == "a1"
    assert h.core.agents["a1"].activity is Activity.RESERVED  # rung, ringing on its event
    assert [c.phase for c in h.core.contacts.values()] == [Phase.SURVEY, Phase.RINGING]


def test_talk_time_ends_when_the_survey_begins() -> None:
    h = surveyed()
    talking(h)  # answered 2 s after ringing, then 60 s of talk
    h.feed(inp.SurveyRequested("a1"))
    h.feed(inp.ChannelGone("c1", 16), after_s=40)
    assert h.core.agents["a1"].talk_time_today_s == pytest.approx(60.0)


def test_without_a_survey_the_agent_hanging_up_ends_the_call_and_to_survey_is_refused() -> None:
    h = Harness()
    agent_leg, _ = talking(h)
    with pytest.raises(RefusedTransition, match="no survey"):
        h.feed(inp.SurveyRequested("a1"))
    out = h.feed(inp.ChannelGone(agent_leg, 16))
    assert cmd.Hangup("c1") in out


def test_the_share_sends_about_that_many_callers_on_and_to_survey_refused_off_call() -> None:
    ids = [f"ct-{n:05d}" for n in range(10_000)]
    sent = sum(chosen(i, 0.3) for i in ids)
    assert 2_850 <= sent <= 3_150
    h = surveyed(after_agent_hangup=False)
    with pytest.raises(RefusedTransition, match="not talking"):
        h.feed(inp.SurveyRequested("a1"))
    agent_leg, _ = talking(h)
    assert cmd.Hangup("c1") in h.feed(inp.ChannelGone(agent_leg, 16))


def test_the_caller_leaves_the_bridge_before_the_first_prompt_is_asked_for() -> None:
    # A prompt queued on a channel still in a bridge is lost when the bridge goes (on the
    # real Asterisk, about one intro in two): caller out, bridge gone, then the prompt.
    h = surveyed()
    _, bridge = talking(h)
    out = h.feed(inp.SurveyRequested("a1"))
    ari = [c for c in out if isinstance(c, cmd.AriCommand)]
    (batch,) = [b for b in independent_batches(ari) if any(isinstance(c, cmd.Play) for c in b)]
    kinds = [type(c) for c in batch]
    assert kinds[:3] == [cmd.RemoveFromBridge, cmd.DestroyBridge, cmd.Play]
    assert batch[0] == cmd.RemoveFromBridge(bridge, ("c1",))
