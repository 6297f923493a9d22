"""The survey without a socket: keys, playback ends and timer expiries in; answers out."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from foundation.errors import MenuConfigError
from ivr.actions import PlayPrompt, StartTimer, StopPrompt
from ivr.survey import (
    Answered,
    Survey,
    SurveyAction,
    SurveyConfig,
    SurveyOver,
    SurveyQuestion,
    SurveyState,
)

NOW = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
QUESTIONS = tuple(
    SurveyQuestion(q, (f"sound:survey-{q}",))
    for q in ("waiting_time", "politeness", "information", "recommend")
)
CONFIG = SurveyConfig(questions=QUESTIONS)


def _survey() -> Survey:
    counter = itertools.count(1)
    return Survey(CONFIG, lambda prefix: f"{prefix}-{next(counter)}")


def _playing(actions: list[SurveyAction]) -> PlayPrompt:
    plays = [a for a in actions if isinstance(a, PlayPrompt)]
    assert len(plays) == 1, actions
    return plays[0]


def _timer(actions: list[SurveyAction]) -> StartTimer:
    return [a for a in actions if isinstance(a, StartTimer)][-1]


def _answers(actions: list[SurveyAction]) -> list[Answered]:
    return [a for a in actions if isinstance(a, Answered)]


def _heard_question(survey: Survey, actions: list[SurveyAction]) -> list[SurveyAction]:
    """The question's prompt ends: the survey waits for a key."""
    return survey.playback_finished(_playing(actions).playback_id, NOW)


def test_the_first_question_follows_the_intro_and_every_key_scores_at_once() -> None:
    survey = _survey()
    actions = survey.start(NOW)
    assert _playing(actions).media == ("sound:acd-survey-intro", "sound:survey-waiting_time")
    scored = []
    for key in ("7", "*", "2", "9"):
        actions = survey.digit(key, NOW)  # keyed during the prompt: it stops
        assert any(isinstance(a, StopPrompt) for a in actions)
        scored += _answers(actions)
    assert [(a.question, a.score) for a in scored] == [
        ("waiting_time", 7),
        ("politeness", 10),
        ("information", 2),
        ("recommend", 9),
    ]
    thanks = _playing(actions)
    assert thanks.media == CONFIG.thanks
    assert survey.playback_finished(thanks.playback_id, NOW)[-1] == SurveyOver(4)


def test_ten_is_keyed_as_one_then_zero_and_one_alone_is_one_after_the_digit_timeout() -> None:
    survey = _survey()
    actions = _heard_question(survey, survey.start(NOW))
    one = survey.digit("1", NOW)
    assert survey.state is SurveyState.ONE
    assert _timer(one).delay_s == CONFIG.digit_timeout_s
    assert _answers(survey.digit("0", NOW)) == [Answered("waiting_time", 0, 10)]
    wait = survey.digit("1", NOW)  # during the second question's prompt
    assert _answers(survey.timer(_timer(wait).key, NOW)) == [Answered("politeness", 1, 1)]
    del actions


def test_a_wrong_key_replays_the_question_after_the_invalid_prompt_then_skips_it() -> None:
    survey = _survey()
    _heard_question(survey, survey.start(NOW))
    again = survey.digit("#", NOW)
    assert _playing(again).media == (*CONFIG.invalid_prompt, "sound:survey-waiting_time")
    assert not _answers(again)
    _heard_question(survey, again)
    # One retry: the second wrong key (a 1 then a 5) moves on to the next question unanswered.
    survey.digit("1", NOW)
    moved = survey.digit("5", NOW)
    assert _playing(moved).media == ("sound:survey-politeness",)
    assert survey.answers == []


def test_silence_replays_the_question_once_then_moves_on() -> None:
    survey = _survey()
    waiting = _heard_question(survey, survey.start(NOW))
    assert _timer(waiting).delay_s == CONFIG.answer_timeout_s
    again = survey.timer(_timer(waiting).key, NOW)
    assert _playing(again).media == ("sound:survey-waiting_time",)
    waiting = _heard_question(survey, again)
    moved = survey.timer(_timer(waiting).key, NOW)
    assert _playing(moved).media == ("sound:survey-politeness",)
    # A late expiry of the first timer changes nothing.
    assert survey.timer(("survey", "1"), NOW) == []


def test_leaving_half_way_keeps_the_answers_given() -> None:
    survey = _survey()
    survey.start(NOW)
    survey.digit("8", NOW)
    actions = survey.digit("6", NOW)
    stops = survey.cancel(NOW)
    assert StopPrompt(_playing(actions).playback_id) in stops
    assert [a.score for a in survey.answers] == [8, 6]
    assert survey.digit("5", NOW) == []


def test_a_survey_without_questions_is_refused_naming_the_field() -> None:
    with pytest.raises(MenuConfigError, match="questions"):
        SurveyConfig(questions=())
