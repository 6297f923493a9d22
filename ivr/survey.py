"""The satisfaction survey after a call, as a sans-I/O state machine: each question played and
answered with a score from 1 to 10 on the keypad.

How a caller keys a score (the first question's prompt says so):

- ``2`` to ``9``: that score, at once;
- ``1``: a score of 1 once ``digit_timeout_s`` passes with no other key, or 10 when ``0``
  follows within it;
- ``*``: 10 in one key (for callers who do not want to wait on the ``1``);
- ``0`` or ``#`` alone, or ``1`` followed by anything but ``0``: not a score.  The invalid
  prompt plays, then the question again.

No key within ``answer_timeout_s`` after the question ends plays the question again.  After
``max_tries`` failed tries (invalid or silent; 2 by default: one retry) the question is left
unanswered and the survey moves on, so a caller who stops answering is never held for long.
A key while a question plays stops it (Asterisk never stops a playback on a digit itself).

Each score is reported the moment it is keyed (:class:`Answered`), so the host can store it
before the next question: a caller who hangs up half-way leaves the answers already given.
Every prompt runs under a guard timer, as in :mod:`ivr.menu`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from foundation.errors import MenuConfigError
from ivr.actions import CancelTimer, PlayPrompt, StartTimer, StopPrompt, TimerKey

log = logging.getLogger(__name__)

IdFactory = Callable[[str], str]
MIN_SCORE, MAX_SCORE = 1, 10


@dataclass(frozen=True, slots=True)
class SurveyQuestion:
    id: str  # stable: answers are stored and counted under it
    prompt: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SurveyConfig:
    questions: tuple[SurveyQuestion, ...]
    intro: tuple[str, ...] = ("sound:acd-survey-intro",)  # before the first question
    invalid_prompt: tuple[str, ...] = ("sound:acd-survey-invalid",)
    thanks: tuple[str, ...] = ("sound:acd-survey-thanks",)
    answer_timeout_s: float = 6.0
    digit_timeout_s: float = 2.0  # after a 1: is a 0 coming (10)?
    max_tries: int = 2
    prompt_guard_s: float = 120.0

    def __post_init__(self) -> None:
        ids = [q.id for q in self.questions]
        problems = [
            *([] if self.questions else ["questions: the survey needs at least one question"]),
            *(f"questions: {q.id!r} has no prompt" for q in self.questions if not q.prompt),
            *([f"questions: ids must be unique, got {ids}"] if len(set(ids)) != len(ids) else []),
            *([] if self.answer_timeout_s > 0 else ["answer_timeout_s: must be more than 0"]),
            *([] if self.digit_timeout_s > 0 else ["digit_timeout_s: must be more than 0"]),
            *([] if self.max_tries >= 1 else ["max_tries: must be at least 1"]),
        ]
        if problems:
            raise MenuConfigError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Answered:
    """The caller scored ``question`` (its 0-based ``position`` in the survey)."""

    question: str
    position: int
    score: int


@dataclass(frozen=True, slots=True)
class SurveyOver:
    """The thanks are over: the host hangs the caller up."""

    answered: int


class SurveyState(StrEnum):
    IDLE = "idle"
    ASKING = "asking"  # a question (or the invalid prompt and the question) plays
    WAITING = "waiting"  # waiting for the first key of a score
    ONE = "one"  # a 1 was keyed: 1, or 10 if a 0 follows
    THANKS = "thanks"
    DONE = "done"


SurveyAction = PlayPrompt | StopPrompt | StartTimer | CancelTimer | Answered | SurveyOver
_DIRECT = {str(n): n for n in range(2, 10)} | {"*": MAX_SCORE}


class Survey:
    """One caller's pass through the survey.  ``key`` prefixes every timer key."""

    def __init__(self, config: SurveyConfig, ids: IdFactory, key: TimerKey = ("survey",)) -> None:
        self.config = config
        self.resumed = False  # taken up part-way (after a restart): earlier answers unknown
        self._ids = ids
        self._key = key
        self.state = SurveyState.IDLE
        self.position = 0
        self.failures = 0
        self.answers: list[Answered] = []
        self._playback: str | None = None
        self._timer: TimerKey | None = None
        self._timers_made = 0

    @property
    def playback_id(self) -> str | None:
        return self._playback

    # ------------------------------------------------------------------ events

    def start(self, now: datetime) -> list[SurveyAction]:
        if self.state is not SurveyState.IDLE:
            return []
        return self._ask(self.config.intro)

    def resume(self, position: int, now: datetime) -> list[SurveyAction]:
        """Take the survey up at question ``position`` (0-based), the ones before it done
        (answered or left unanswered): a host restarted in the middle of it asks that question
        afresh, without the intro; past the last question only the thanks remain."""
        if self.state is not SurveyState.IDLE:
            return []
        self.resumed = True
        self.position = min(max(position, 0), len(self.config.questions))
        return self._from_here()

    def digit(self, digit: str, now: datetime) -> list[SurveyAction]:
        if self.state is SurveyState.ONE:
            out = self._cancel_timer()
            if digit == "0":
                return out + self._answer(MAX_SCORE)
            return out + self._fail(invalid=True)
        if self.state not in (SurveyState.ASKING, SurveyState.WAITING):
            return []
        out = self._stop_prompt() + self._cancel_timer()
        if digit == "1":
            self.state = SurveyState.ONE
            return out + self._start_timer(self.config.digit_timeout_s)
        score = _DIRECT.get(digit)
        if score is None:
            return out + self._fail(invalid=True)
        return out + self._answer(score)

    def playback_finished(self, playback_id: str, now: datetime) -> list[SurveyAction]:
        if playback_id != self._playback:
            return []
        return self._prompt_ended()

    def timer(self, key: TimerKey, now: datetime) -> list[SurveyAction]:
        if key != self._timer:
            return []
        self._timer = None
        match self.state:
            case SurveyState.ONE:
                return self._answer(MIN_SCORE)
            case SurveyState.WAITING:
                return self._fail(invalid=False)
            case SurveyState.ASKING | SurveyState.THANKS:
                log.warning("survey prompt %s never finished; moving on", self._playback)
                stop: list[SurveyAction] = [StopPrompt(self._playback)] if self._playback else []
                return stop + self._prompt_ended()
        return []

    def cancel(self, now: datetime) -> list[SurveyAction]:
        """The caller left: stop what runs; the answers given stay given."""
        out = self._stop_prompt() + self._cancel_timer()
        self.state = SurveyState.DONE
        return out

    # ------------------------------------------------------------------ transitions

    def _prompt_ended(self) -> list[SurveyAction]:
        self._playback = None
        out = self._cancel_timer()
        if self.state is SurveyState.THANKS:
            self.state = SurveyState.DONE
            return [*out, SurveyOver(len(self.answers))]
        self.state = SurveyState.WAITING
        return out + self._start_timer(self.config.answer_timeout_s)

    def _answer(self, score: int) -> list[SurveyAction]:
        answer = Answered(self.config.questions[self.position].id, self.position, score)
        self.answers.append(answer)
        return [answer, *self._next()]

    def _fail(self, *, invalid: bool) -> list[SurveyAction]:
        self.failures += 1
        if self.failures >= self.config.max_tries:
            log.info("survey question %d left unanswered", self.position + 1)
            return self._next()
        return self._ask(self.config.invalid_prompt if invalid else ())

    def _next(self) -> list[SurveyAction]:
        self.position += 1
        self.failures = 0
        return self._from_here()

    def _from_here(self) -> list[SurveyAction]:
        if self.position < len(self.config.questions):
            return self._ask(())
        if not self.config.thanks:
            self.state = SurveyState.DONE
            return [SurveyOver(len(self.answers))]
        self.state = SurveyState.THANKS
        return self._play(self.config.thanks)

    def _ask(self, before: tuple[str, ...]) -> list[SurveyAction]:
        self.state = SurveyState.ASKING
        return self._play((*before, *self.config.questions[self.position].prompt))

    # ------------------------------------------------------------------ helpers

    def _play(self, media: tuple[str, ...]) -> list[SurveyAction]:
        self._playback = self._ids("pb")
        out: list[SurveyAction] = [PlayPrompt(media, self._playback)]
        return out + self._start_timer(self.config.prompt_guard_s)

    def _stop_prompt(self) -> list[SurveyAction]:
        playback, self._playback = self._playback, None
        return [StopPrompt(playback)] if playback else []

    def _start_timer(self, delay_s: float) -> list[SurveyAction]:
        # A fresh key per timer: a late expiry of an old one is never taken for this one.
        self._timers_made += 1
        self._timer = (*self._key, str(self._timers_made))
        return [StartTimer(self._timer, delay_s)]

    def _cancel_timer(self) -> list[SurveyAction]:
        timer, self._timer = self._timer, None
        return [CancelTimer(timer)] if timer else []
