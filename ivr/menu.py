"""A DTMF menu as a sans-I/O state machine: "press 1 for Wonen en energie, 2 for other
questions".

Everything that moves the menu lives in this file.  Each method takes one event (a digit, the
end of a playback, a timer) and returns the actions for the host to carry out; the transitions
are the tables at the bottom.  An event that does not fit the current state (a playback that
finished after the menu moved on, a timer that fired after it was cancelled, anything after
:class:`~ivr.actions.Done`) changes nothing and returns no actions.

Behaviour, per the line's configuration:

- The menu prompt plays.  A digit while it plays stops it when the menu is ``interruptible``
  (Asterisk never stops a playback on a digit itself); otherwise the first digit is kept and
  acted on when the prompt ends, so a caller who knows the menu is not made to press twice.
- A digit in the options ends the menu with its line code.  Any other digit is a failed try:
  the invalid prompt plays, then the menu again.
- No digit within ``timeout_s`` after the prompt ends is a failed try too: the timeout prompt,
  then the menu again.
- After ``max_tries`` failed tries the caller goes to the default line code: a caller who
  cannot or will not choose still reaches a person.
- Every prompt runs under a guard timer, so a ``PlaybackFinished`` lost in a WebSocket outage
  never leaves the caller stuck in the menu.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from foundation.errors import MenuConfigError
from ivr.actions import (
    Action,
    CancelTimer,
    Done,
    DoneReason,
    PlayPrompt,
    StartTimer,
    StopPrompt,
    TimerKey,
)

log = logging.getLogger(__name__)

IdFactory = Callable[[str], str]
DTMF_DIGITS = frozenset("0123456789*#")


@dataclass(frozen=True, slots=True)
class MenuConfig:
    prompt: tuple[str, ...]
    options: Mapping[str, str]  # digit -> line code
    default_line_code: str
    timeout_s: float = 5.0
    max_tries: int = 3
    # The defaults of the line settings (acd.settings.line_options.Menu); an empty prompt
    # skips straight to the menu again.
    invalid_prompt: tuple[str, ...] = ("sound:acd-menu-invalid",)
    timeout_prompt: tuple[str, ...] = ("sound:acd-menu-timeout",)
    interruptible: bool = True
    prompt_guard_s: float = 120.0  # longest any one prompt may take before we move on

    def __post_init__(self) -> None:
        problems = [
            *([] if self.prompt else ["prompt: the menu needs a prompt"]),
            *([] if self.options else ["options: a menu needs at least one option"]),
            *(
                f"options: {digit!r} is not one DTMF digit (0-9, * or #)"
                for digit in self.options
                if digit not in DTMF_DIGITS
            ),
            *([] if self.timeout_s > 0 else ["timeout_s: must be more than 0"]),
            *([] if self.max_tries >= 1 else ["max_tries: must be at least 1"]),
            *([] if self.prompt_guard_s > 0 else ["prompt_guard_s: must be more than 0"]),
        ]
        if problems:
            raise MenuConfigError("; ".join(problems))
        # A read-only copy: a menu must not change under a caller who is in it.
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


class MenuState(StrEnum):
    IDLE = "idle"  # not started
    PROMPTING = "prompting"  # the menu prompt plays
    WAITING = "waiting"  # prompt over, waiting for a digit until the timeout
    FEEDBACK = "feedback"  # the invalid or timeout prompt plays; then the menu again
    DONE = "done"


class Failure(StrEnum):
    INVALID = "invalid"
    TIMEOUT = "timeout"


_FALLBACK = {
    Failure.INVALID: DoneReason.INVALID_FALLBACK,
    Failure.TIMEOUT: DoneReason.TIMEOUT_FALLBACK,
}


class Menu:
    """One caller's pass through one menu.

    ``ids(prefix)`` makes playback ids (called with ``"pb"``); ``key`` prefixes every timer
    key, so the host can route a timer back here (e.g. ``("menu", contact_id)``).
    """

    def __init__(self, config: MenuConfig, ids: IdFactory, key: TimerKey = ("menu",)) -> None:
        self.config = config
        self._ids = ids
        self._key = key
        self.state = MenuState.IDLE
        self.failures = 0
        self.result: Done | None = None
        self._playback: str | None = None
        self._timer: TimerKey | None = None
        self._timers_made = 0
        self._typed_ahead: str | None = None

    @property
    def playback_id(self) -> str | None:
        """The prompt playing now, if any."""
        return self._playback

    # ------------------------------------------------------------------ events

    def start(self, now: datetime) -> list[Action]:
        if self.state is not MenuState.IDLE:
            return []
        return self._play_menu()

    def digit(self, digit: str, now: datetime) -> list[Action]:
        handler = _ON_DIGIT.get(self.state)
        return handler(self, digit) if handler else []

    def playback_finished(self, playback_id: str, now: datetime) -> list[Action]:
        """``PlaybackFinished``, whether ``done`` or ``failed``: a prompt that could not play
        still gives the caller their chance to press."""
        if playback_id != self._playback:
            return []
        handler = _ON_PROMPT_END.get(self.state)
        return handler(self) if handler else []

    def timer(self, key: TimerKey, now: datetime) -> list[Action]:
        if key != self._timer:
            return []
        self._timer = None
        handler = _ON_TIMER.get(self.state)
        return handler(self) if handler else []

    def cancel(self, now: datetime) -> list[Action]:
        """The caller left (or the host ends the menu): stop what runs, decide nothing."""
        if self.state in (MenuState.IDLE, MenuState.DONE):
            self.state = MenuState.DONE
            return []
        out = self._stop_prompt() + self._cancel_timer()
        self.state = MenuState.DONE
        return out

    # ------------------------------------------------------------------ transitions

    def _digit_while_playing(self, digit: str) -> list[Action]:
        if not self.config.interruptible:
            if self._typed_ahead is None:
                self._typed_ahead = digit
            return []
        return self._stop_prompt() + self._cancel_timer() + self._choose(digit)

    def _digit_while_waiting(self, digit: str) -> list[Action]:
        return self._cancel_timer() + self._choose(digit)

    def _menu_prompt_ended(self) -> list[Action]:
        out = self._prompt_over()
        if self._typed_ahead is not None:
            return out + self._choose(self._take_typed_ahead())
        self.state = MenuState.WAITING
        return out + self._start_timer(self.config.timeout_s)

    def _feedback_ended(self) -> list[Action]:
        out = self._prompt_over()
        if self._typed_ahead is not None:
            return out + self._choose(self._take_typed_ahead())
        return out + self._play_menu()

    def _guard_fired(self) -> list[Action]:
        log.warning("menu prompt %s never finished; moving on", self._playback)
        assert self._playback is not None
        stop: list[Action] = [StopPrompt(self._playback)]
        handler = _ON_PROMPT_END[self.state]
        return stop + handler(self)

    def _timed_out(self) -> list[Action]:
        return self._fail(Failure.TIMEOUT)

    def _choose(self, digit: str) -> list[Action]:
        line_code = self.config.options.get(digit)
        if line_code is None:
            return self._fail(Failure.INVALID)
        return self._finish(Done(line_code, DoneReason.CHOSEN, digit))

    def _fail(self, failure: Failure) -> list[Action]:
        self.failures += 1
        if self.failures >= self.config.max_tries:
            return self._finish(Done(self.config.default_line_code, _FALLBACK[failure]))
        feedback = (
            self.config.invalid_prompt if failure is Failure.INVALID else self.config.timeout_prompt
        )
        if not feedback:
            return self._play_menu()
        self.state = MenuState.FEEDBACK
        return self._play(feedback)

    # ------------------------------------------------------------------ helpers

    def _finish(self, done: Done) -> list[Action]:
        self.state = MenuState.DONE
        self.result = done
        return [done]

    def _play_menu(self) -> list[Action]:
        self.state = MenuState.PROMPTING
        return self._play(self.config.prompt)

    def _play(self, media: tuple[str, ...]) -> list[Action]:
        self._playback = self._ids("pb")
        out: list[Action] = [PlayPrompt(media, self._playback)]
        return out + self._start_timer(self.config.prompt_guard_s)

    def _prompt_over(self) -> list[Action]:
        self._playback = None
        return self._cancel_timer()

    def _stop_prompt(self) -> list[Action]:
        playback, self._playback = self._playback, None
        return [StopPrompt(playback)] if playback else []

    def _start_timer(self, delay_s: float) -> list[Action]:
        # A fresh key per timer: a late expiry of an old one can never be taken for this one.
        self._timers_made += 1
        self._timer = (*self._key, str(self._timers_made))
        return [StartTimer(self._timer, delay_s)]

    def _cancel_timer(self) -> list[Action]:
        timer, self._timer = self._timer, None
        return [CancelTimer(timer)] if timer else []

    def _take_typed_ahead(self) -> str:
        digit, self._typed_ahead = self._typed_ahead, None
        assert digit is not None
        return digit


_Transition = Callable[[Menu], list[Action]]
_DigitTransition = Callable[[Menu, str], list[Action]]

_ON_DIGIT: dict[MenuState, _DigitTransition] = {
    MenuState.PROMPTING: Menu._digit_while_playing,
    MenuState.FEEDBACK: Menu._digit_while_playing,
    MenuState.WAITING: Menu._digit_while_waiting,
}
_ON_PROMPT_END: dict[MenuState, _Transition] = {
    MenuState.PROMPTING: Menu._menu_prompt_ended,
    MenuState.FEEDBACK: Menu._feedback_ended,
}
_ON_TIMER: dict[MenuState, _Transition] = {
    MenuState.PROMPTING: Menu._guard_fired,
    MenuState.FEEDBACK: Menu._guard_fired,
    MenuState.WAITING: Menu._timed_out,
}
