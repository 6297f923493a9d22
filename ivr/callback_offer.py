"""The callback offer to a waiting caller as a sans-I/O state machine: "press 1 and we call you
back; you keep your place in the queue".

Everything that moves the offer lives in this file.  Each method takes one event (the start, a
digit, the end of a playback, a timer, the engine's word that the callback is stored) and
returns the actions for the host to carry out; the transitions are the tables at the bottom.
An event that does not fit the current state (a playback that finished after the flow moved
on, a timer that fired after it was cancelled, ``stored`` before anything was accepted,
anything after the flow ended) changes nothing and returns no actions.

The caller stays in the queue throughout; the engine starts one offer after the line's wait
(150 s for 1700) and, if the line says so, a fresh one at each repeat interval.

Behaviour, per the line's :class:`CallbackOfferConfig`:

- The offer plays.  ``1`` (``accept_digit``) accepts; any other digit, or no digit within
  ``timeout_s`` after the prompt, ends the flow with :class:`Declined`: the caller keeps waiting.
- After ``1``, when the caller ID is a number we may call back (:func:`ivr.numbers.normalise`
  with the line's region rules), the caller hears it, digit group by digit group, and presses
  ``1`` (``keep_digit``) to confirm it, or keys in another number followed by ``#``
  (``end_digit``), optionally after ``2`` (``other_digit``).  An anonymous or unusable
  caller ID skips that choice: the caller is asked to key in a number.
- A keyed number ends at ``#``, or when no digit comes within ``digit_timeout_s`` (as
  Asterisk's ``Read()`` does: a caller who forgets ``#`` is not punished for it).  More than
  ``max_digits`` digits, an invalid number or no input at all is a failed try: the invalid
  prompt (not for no input) and the question again.  After ``max_tries`` failed tries the
  sorry prompt plays and the flow ends with :class:`BackToQueue`: the place is kept.
- An accepted number ends the dialogue with :class:`Accepted`.  The engine stores the callback
  durably, then reports :meth:`CallbackOffer.stored` (the confirmation plays, then
  :class:`Finished` tells the engine to hang up) or :meth:`CallbackOffer.store_failed` (the
  sorry prompt, then :class:`BackToQueue`).  The caller never hears "we will call you back"
  for a callback that a crash could still lose.
- Every prompt is cut by a digit (:class:`~ivr.actions.StopPrompt`: Asterisk never stops a
  playback on a digit itself), except the confirmation and the apology, which the caller must
  hear in full.  Every prompt runs under a guard timer, so a ``PlaybackFinished`` lost in a
  WebSocket outage never leaves a caller stuck in the offer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

import phonenumbers

from foundation.errors import CallbackOfferConfigError
from ivr.actions import CancelTimer, PlayPrompt, StartTimer, StopPrompt, TimerKey
from ivr.numbers import normalise, number_media

log = logging.getLogger(__name__)

IdFactory = Callable[[str], str]

NUMBER = "{number}"
"""In a prompt, where the number is said (:func:`ivr.numbers.number_media`: digit sounds,
group by group)."""

_PROMPTS_WITH_NUMBER = frozenset({"confirm_prompt", "accepted_prompt", "merged_prompt"})
# The caller must hear the offer, the questions and the outcome; "invalid number" and the
# apology may be left out (the question again, or straight back to the music).
_PROMPTS_REQUIRED = (
    "offer_prompt",
    "confirm_prompt",
    "enter_prompt",
    "accepted_prompt",
    "merged_prompt",
)
_PROMPTS_OPTIONAL = ("invalid_prompt", "sorry_prompt")
_DTMF = frozenset("0123456789*#")


@dataclass(frozen=True, slots=True)
class CallbackOfferConfig:
    """A line's callback offer.  The prompts are ARI media lists; the defaults are ``acd-*``
    sounds a deployment records in Dutch (listed in ``ivr/README.md``).  :data:`NUMBER` in the
    confirm, accepted and merged prompts is where the number is said."""

    offer_prompt: tuple[str, ...] = ("sound:acd-callback-offer",)
    confirm_prompt: tuple[str, ...] = (
        "sound:acd-callback-call-you-on",
        NUMBER,
        "sound:acd-callback-confirm-or-other",
    )
    enter_prompt: tuple[str, ...] = ("sound:acd-callback-enter-number",)
    invalid_prompt: tuple[str, ...] = ("sound:acd-callback-invalid-number",)
    accepted_prompt: tuple[str, ...] = ("sound:acd-callback-accepted", NUMBER)
    merged_prompt: tuple[str, ...] = ("sound:acd-callback-merged",)
    sorry_prompt: tuple[str, ...] = ("sound:acd-callback-sorry",)
    timeout_s: float = 6.0  # for the first digit after a question
    digit_timeout_s: float = 5.0  # between the digits of a keyed number
    max_tries: int = 3
    max_digits: int = 15  # keyed digits, "00" and country code included
    default_region: str = "BE"  # how national numbers are read and said
    allow_foreign: bool = False
    prompt_guard_s: float = 120.0  # longest any one prompt may take before we move on
    accept_digit: str = "1"  # on the offer
    keep_digit: str = "1"  # on the number said back: call this number
    other_digit: str = "2"  # on the number said back: I will key in another one
    end_digit: str = "#"  # ends a keyed-in number

    def __post_init__(self) -> None:
        digits = {
            "accept_digit": self.accept_digit,
            "keep_digit": self.keep_digit,
            "other_digit": self.other_digit,
            "end_digit": self.end_digit,
        }
        problems = [
            *(
                f"{name}: {digit!r} is not one DTMF key (0-9, *, #)"
                for name, digit in digits.items()
                if len(digit) != 1 or digit not in _DTMF
            ),
            *(
                [f"other_digit: {self.other_digit!r} is also keep_digit"]
                if self.other_digit == self.keep_digit
                else []
            ),
            *(
                [f"end_digit: {self.end_digit!r} would end the number early"]
                if self.end_digit in "0123456789"
                else []
            ),
            *(
                # A number keyed in starts with 0 (national) or 00 (foreign), so only a key
                # that never starts one can mean "this number" or "another number".
                f"{name}: {digits[name]!r} could be the first digit of a keyed number"
                for name in ("keep_digit", "other_digit")
                if digits[name] == "0"
            ),
            *(f"{name}: must not be empty" for name in _PROMPTS_REQUIRED if not self._get(name)),
            *(
                f"{name}: cannot say the number"
                for name in (*_PROMPTS_REQUIRED, *_PROMPTS_OPTIONAL)
                if name not in _PROMPTS_WITH_NUMBER and NUMBER in self._get(name)
            ),
            *([] if self.timeout_s > 0 else ["timeout_s: must be more than 0"]),
            *([] if self.digit_timeout_s > 0 else ["digit_timeout_s: must be more than 0"]),
            *([] if self.max_tries >= 1 else ["max_tries: must be at least 1"]),
            *([] if self.max_digits >= 1 else ["max_digits: must be at least 1"]),
            *([] if self.prompt_guard_s > 0 else ["prompt_guard_s: must be more than 0"]),
            *(
                []
                if self.default_region in phonenumbers.SUPPORTED_REGIONS
                else [f"default_region: {self.default_region!r} is not a known region"]
            ),
        ]
        if problems:
            raise CallbackOfferConfigError("; ".join(problems))

    def _get(self, name: str) -> tuple[str, ...]:
        prompt: tuple[str, ...] = getattr(self, name)
        return prompt


# ---------------------------------------------------------------------- actions


class DeclineReason(StrEnum):
    DECLINED = "declined"  # a digit other than 1 on the offer
    NO_INPUT = "no_input"  # no digit within the timeout: taken as a no, per the issue


@dataclass(frozen=True, slots=True)
class Declined:
    """The caller keeps waiting, in their place."""

    reason: DeclineReason


@dataclass(frozen=True, slots=True)
class Accepted:
    """Store a callback to ``number_e164``, then report :meth:`CallbackOffer.stored` or
    :meth:`CallbackOffer.store_failed`.  The flow plays nothing meanwhile."""

    number_e164: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The confirmation has been heard: hang up, the contact ends with ``outcome``."""

    outcome: Literal["callback_requested"] = "callback_requested"


class BackReason(StrEnum):
    TOO_MANY_TRIES = "too_many_tries"  # max_tries failed number entries
    STORE_FAILED = "store_failed"  # the engine could not store the callback


@dataclass(frozen=True, slots=True)
class BackToQueue:
    """The offer is over without a callback: the caller keeps waiting, in their place."""

    reason: BackReason


CallbackAction = (
    PlayPrompt
    | StopPrompt
    | StartTimer
    | CancelTimer
    | Declined
    | Accepted
    | Finished
    | BackToQueue
)
Ending = Declined | Finished | BackToQueue
"""How the flow ends; :class:`Accepted` only hands over to the engine until it reports."""


# ---------------------------------------------------------------------- the machine


class OfferState(StrEnum):
    IDLE = "idle"  # not started
    OFFERING = "offering"  # the offer plays
    OFFER_WAIT = "offer_wait"  # offer over, waiting for 1 until the timeout
    ASKING = "asking"  # "confirm with 1 or key in a number" (or only the latter) plays
    ASK_WAIT = "ask_wait"  # question over, waiting for the first key
    ENTERING = "entering"  # collecting a number until #
    STORING = "storing"  # Accepted: waiting for the engine to store the callback
    CONFIRMING = "confirming"  # "we will call you back on ..." plays; then Finished
    APOLOGISING = "apologising"  # the sorry prompt plays; then BackToQueue
    DONE = "done"


class Failure(StrEnum):
    INVALID = "invalid"
    NO_INPUT = "no_input"


class CallbackOffer:
    """One caller's pass through one callback offer.

    ``ids(prefix)`` makes playback ids (called with ``"pb"``); ``key`` prefixes every timer
    key, e.g. ``("cboffer", contact_id)``.  ``caller_id`` is the caller's number as the
    channel gives it (``None`` or anything unusable, like ``"anonymous"``: the caller must key
    in a number).
    """

    def __init__(
        self,
        config: CallbackOfferConfig,
        ids: IdFactory,
        key: TimerKey = ("cboffer",),
        caller_id: str | None = None,
    ) -> None:
        self.config = config
        self._ids = ids
        self._key = key
        self.caller_number = (
            normalise(caller_id, config.default_region, config.allow_foreign) if caller_id else None
        )
        """The caller ID in E.164 when we may call it back, else ``None``."""
        self.state = OfferState.IDLE
        self.failures = 0
        self.number: str | None = None
        """The accepted number (E.164), once :class:`Accepted` is out."""
        self.merged: bool | None = None
        self.result: Ending | None = None
        self._entry = ""
        self._back_reason = BackReason.TOO_MANY_TRIES
        self._playback: str | None = None
        self._timer: TimerKey | None = None
        self._timers_made = 0

    @property
    def playback_id(self) -> str | None:
        """The prompt playing now, if any."""
        return self._playback

    # ------------------------------------------------------------------ events

    def start(self, now: datetime) -> list[CallbackAction]:
        if self.state is not OfferState.IDLE:
            return []
        self.state = OfferState.OFFERING
        return self._play(self.config.offer_prompt)

    def digit(self, digit: str, now: datetime) -> list[CallbackAction]:
        handler = _ON_DIGIT.get(self.state)
        return handler(self, digit) if handler else []

    def playback_finished(self, playback_id: str, now: datetime) -> list[CallbackAction]:
        """``PlaybackFinished``, whether ``done`` or ``failed``: a prompt that could not play
        still gives the caller their chance to press, and never blocks the end."""
        if playback_id != self._playback:
            return []
        handler = _ON_PROMPT_END.get(self.state)
        return handler(self) if handler else []

    def timer(self, key: TimerKey, now: datetime) -> list[CallbackAction]:
        if key != self._timer:
            return []
        self._timer = None
        handler = _ON_TIMER.get(self.state)
        return handler(self) if handler else []

    def stored(self, merged: bool, now: datetime) -> list[CallbackAction]:
        """The callback is durably stored; ``merged`` when it joined one already pending for
        the same number and line.  Only now may the caller hear that we will call back."""
        if self.state is not OfferState.STORING:
            return []
        assert self.number is not None
        self.merged = merged
        self.state = OfferState.CONFIRMING
        prompt = self.config.merged_prompt if merged else self.config.accepted_prompt
        return self._play(self._with_number(prompt, self.number))

    def store_failed(self, now: datetime) -> list[CallbackAction]:
        if self.state is not OfferState.STORING:
            return []
        return self._apologise(BackReason.STORE_FAILED)

    def cancel(self, now: datetime) -> list[CallbackAction]:
        """The caller left, or the engine ends the offer (an agent is free): stop what runs,
        decide nothing.  A store already asked for is the engine's to finish."""
        out = self._stop_prompt() + self._cancel_timer()
        self.state = OfferState.DONE
        return out

    # ------------------------------------------------------------------ transitions

    def _digit_on_offer(self, digit: str) -> list[CallbackAction]:
        out = self._stop_prompt() + self._cancel_timer()
        if digit != self.config.accept_digit:
            return out + self._finish(Declined(DeclineReason.DECLINED))
        return out + self._ask()

    def _offer_ended(self) -> list[CallbackAction]:
        self.state = OfferState.OFFER_WAIT
        return self._prompt_over() + self._start_timer(self.config.timeout_s)

    def _offer_timed_out(self) -> list[CallbackAction]:
        return self._finish(Declined(DeclineReason.NO_INPUT))

    def _first_key(self, digit: str) -> list[CallbackAction]:
        out = self._stop_prompt() + self._cancel_timer()
        # No number a caller keys starts with anything but 0 (national numbers start with 0,
        # foreign ones with 00), so the keep and other keys need no separator.
        self.state = OfferState.ENTERING
        if self.caller_number is not None:
            if digit == self.config.keep_digit:
                return out + self._accept(self.caller_number)
            if digit == self.config.other_digit:
                # The number is still to come: the first key's patience, not a digit's.
                return out + self._start_timer(self.config.timeout_s)
        return out + self._keyed(digit)

    def _next_key(self, digit: str) -> list[CallbackAction]:
        return self._cancel_timer() + self._keyed(digit)

    def _question_ended(self) -> list[CallbackAction]:
        self.state = OfferState.ASK_WAIT
        return self._prompt_over() + self._start_timer(self.config.timeout_s)

    def _no_first_key(self) -> list[CallbackAction]:
        return self._fail(Failure.NO_INPUT)

    def _confirmation_ended(self) -> list[CallbackAction]:
        return self._prompt_over() + self._finish(Finished())

    def _apology_ended(self) -> list[CallbackAction]:
        return self._prompt_over() + self._finish(BackToQueue(self._back_reason))

    def _guard_fired(self) -> list[CallbackAction]:
        log.warning("callback offer prompt %s never finished; moving on", self._playback)
        assert self._playback is not None
        stop: list[CallbackAction] = [StopPrompt(self._playback)]
        return stop + _ON_PROMPT_END[self.state](self)

    def _keyed(self, digit: str) -> list[CallbackAction]:
        if digit == self.config.end_digit:
            return self._submit()
        # One digit past the maximum is kept, so the entry is known to be too long; the rest
        # are dropped, and the try ends at # or the timeout like any other.
        if len(self._entry) <= self.config.max_digits:
            self._entry += digit
        return self._start_timer(self.config.digit_timeout_s)

    def _entry_timed_out(self) -> list[CallbackAction]:
        if not self._entry:  # the other-number key, then nothing
            return self._fail(Failure.NO_INPUT)
        return self._submit()

    def _submit(self) -> list[CallbackAction]:
        entry, self._entry = self._entry, ""
        number = (
            normalise(entry, self.config.default_region, self.config.allow_foreign)
            if len(entry) <= self.config.max_digits
            else None
        )
        if number is None:
            return self._fail(Failure.INVALID)
        return self._accept(number)

    def _fail(self, failure: Failure) -> list[CallbackAction]:
        self.failures += 1
        feedback = self.config.invalid_prompt if failure is Failure.INVALID else ()
        if self.failures >= self.config.max_tries:
            return self._apologise(BackReason.TOO_MANY_TRIES, feedback)
        return self._ask(feedback)

    # ------------------------------------------------------------------ helpers

    def _ask(self, feedback: tuple[str, ...] = ()) -> list[CallbackAction]:
        self.state = OfferState.ASKING
        self._entry = ""
        if self.caller_number is not None:
            question = self._with_number(self.config.confirm_prompt, self.caller_number)
        else:
            question = self.config.enter_prompt
        # One playback for both, so a digit cuts the feedback and the question alike.
        return self._play((*feedback, *question))

    def _accept(self, number: str) -> list[CallbackAction]:
        self.number = number
        self.state = OfferState.STORING
        return [Accepted(number)]

    def _apologise(
        self, reason: BackReason, feedback: tuple[str, ...] = ()
    ) -> list[CallbackAction]:
        self._back_reason = reason
        media = (*feedback, *self.config.sorry_prompt)
        if not media:
            return self._finish(BackToQueue(reason))
        self.state = OfferState.APOLOGISING
        return self._play(media)

    def _with_number(self, prompt: tuple[str, ...], number: str) -> tuple[str, ...]:
        said = number_media(number, self.config.default_region)
        return tuple(m for item in prompt for m in (said if item == NUMBER else (item,)))

    def _finish(self, result: Ending) -> list[CallbackAction]:
        self.state = OfferState.DONE
        self.result = result
        return [result]

    def _play(self, media: tuple[str, ...]) -> list[CallbackAction]:
        self._playback = self._ids("pb")
        out: list[CallbackAction] = [PlayPrompt(media, self._playback)]
        return out + self._start_timer(self.config.prompt_guard_s)

    def _prompt_over(self) -> list[CallbackAction]:
        self._playback = None
        return self._cancel_timer()

    def _stop_prompt(self) -> list[CallbackAction]:
        playback, self._playback = self._playback, None
        return [StopPrompt(playback)] if playback else []

    def _start_timer(self, delay_s: float) -> list[CallbackAction]:
        # A fresh key per timer: a late expiry of an old one can never be taken for this one.
        self._timers_made += 1
        self._timer = (*self._key, str(self._timers_made))
        return [StartTimer(self._timer, delay_s)]

    def _cancel_timer(self) -> list[CallbackAction]:
        timer, self._timer = self._timer, None
        return [CancelTimer(timer)] if timer else []


_Transition = Callable[[CallbackOffer], list[CallbackAction]]
_DigitTransition = Callable[[CallbackOffer, str], list[CallbackAction]]

# STORING, CONFIRMING and APOLOGISING take no digits: the answer is given, and the caller must
# hear the outcome in full.
_ON_DIGIT: dict[OfferState, _DigitTransition] = {
    OfferState.OFFERING: CallbackOffer._digit_on_offer,
    OfferState.OFFER_WAIT: CallbackOffer._digit_on_offer,
    OfferState.ASKING: CallbackOffer._first_key,
    OfferState.ASK_WAIT: CallbackOffer._first_key,
    OfferState.ENTERING: CallbackOffer._next_key,
}
_ON_PROMPT_END: dict[OfferState, _Transition] = {
    OfferState.OFFERING: CallbackOffer._offer_ended,
    OfferState.ASKING: CallbackOffer._question_ended,
    OfferState.CONFIRMING: CallbackOffer._confirmation_ended,
    OfferState.APOLOGISING: CallbackOffer._apology_ended,
}
_ON_TIMER: dict[OfferState, _Transition] = {
    OfferState.OFFERING: CallbackOffer._guard_fired,
    OfferState.ASKING: CallbackOffer._guard_fired,
    OfferState.CONFIRMING: CallbackOffer._guard_fired,
    OfferState.APOLOGISING: CallbackOffer._guard_fired,
    OfferState.OFFER_WAIT: CallbackOffer._offer_timed_out,
    OfferState.ASK_WAIT: CallbackOffer._no_first_key,
    OfferState.ENTERING: CallbackOffer._entry_timed_out,
}
