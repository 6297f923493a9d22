"""A line's satisfaction survey after the call (``lines.yaml``, key ``survey``).

Off unless a line turns it on.  The four questions of the seed are the default (waiting time,
the agent's politeness, the information received, would you recommend 1700), each scored 1 to
10 on the keypad; ``ivr.survey`` says how 10 is keyed (``1`` then ``0``, or ``*``), which the
intro prompt must tell the caller.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import Count, Identifier, Prompts, Seconds
from acd.settings.problems import field_error


class SurveyQuestionSettings(ConfigModel):
    id: Identifier  # answers are stored and counted under it: keep it when rewording
    prompt: Prompts = Field(min_length=1)


def _seed_questions() -> tuple[SurveyQuestionSettings, ...]:
    return tuple(
        SurveyQuestionSettings(id=q, prompt=(f"sound:acd-survey-{q.replace('_', '-')}",))
        for q in ("waiting_time", "politeness", "information", "recommend")
    )


class SurveySettings(ConfigModel):
    enabled: bool = False
    # The share of callers sent on when their agent hangs up (0-1, chosen per call); an agent
    # pressing "To survey" always sends their caller.
    share: float = Field(default=1.0, ge=0.0, le=1.0, allow_inf_nan=False)
    # Every caller whose agent hangs up goes to the survey (within ``share``); else only those
    # the agent sends with "To survey".
    after_agent_hangup: bool = True
    questions: tuple[SurveyQuestionSettings, ...] = Field(
        default_factory=_seed_questions, min_length=1
    )
    intro: Prompts = ("sound:acd-survey-intro",)  # says how to key 10: 1 then 0, or *
    invalid_prompt: Prompts = ("sound:acd-survey-invalid",)
    thanks: Prompts = ("sound:acd-survey-thanks",)
    answer_timeout_s: Seconds = 6.0  # after a question, for the first key
    digit_timeout_s: Seconds = 2.0  # after a 1, for the 0 of a 10
    max_tries: Count = 2  # a question is asked at most this often, then left unanswered

    @model_validator(mode="after")
    def _unique_question_ids(self) -> Self:
        seen: set[str] = set()
        for index, question in enumerate(self.questions):
            if question.id in seen:
                raise field_error(("questions", index, "id"), f"{question.id!r} is listed twice")
            seen.add(question.id)
        return self
