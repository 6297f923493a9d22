"""The DTMF menu without a socket: feed digits, playback ends and timer expiries; check the
actions.  Every path of the menu is a row of the tables below."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from foundation.errors import MenuConfigError
from ivr.actions import (
    Action,
    CancelTimer,
    Done,
    DoneReason,
    PlayPrompt,
    StartTimer,
    StopPrompt,
)
from ivr.menu import Menu, MenuConfig, MenuState

NOW = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
HOUSING = "1700 Wonen en energie"
GENERAL = "1700 Andere Vragen"
MENU = ("sound:acd/menu-1700",)
INVALID = ("sound:option-is-invalid",)
TIMEOUT = ("sound:acd/no-choice",)

CONFIG = MenuConfig(
    prompt=MENU,
    options={"1": HOUSING, "2": GENERAL},
    default_line_code=GENERAL,
    timeout_s=5.0,
    max_tries=3,
    invalid_prompt=INVALID,
    timeout_prompt=TIMEOUT,
    interruptible=True,
)
_LABELS: dict[tuple[str, ...], str] = {MENU: "menu", INVALID: "invalid", TIMEOUT: "timeout"}


class Driver:
    """Feeds a menu like the engine would, and writes its actions as short tokens."""

    def __init__(self, config: MenuConfig = CONFIG) -> None:
        counter = itertools.count(1)
        self.menu = Menu(config, ids=lambda prefix: f"{prefix}-{next(counter)}", key=("menu", "c1"))
        self.timers: list[tuple[str, ...]] = []  # running, oldest first

    def step(self, step: str) -> list[str]:
        kind, _, arg = step.partition(" ")
        out = _STEPS[kind](self, arg)
        for action in out:
            if isinstance(action, StartTimer):
                self.timers.append(action.key)
            elif isinstance(action, CancelTimer):
                self.timers.remove(action.key)
        return [token(a) for a in out]

    def _start(self, _arg: str) -> list[Action]:
        return self.menu.start(NOW)

    def _digit(self, digit: str) -> list[Action]:
        return self.menu.digit(digit, NOW)

    def _end(self, _arg: str) -> list[Action]:
        """The current prompt finishes."""
        assert self.menu.playback_id is not None
        return self.menu.playback_finished(self.menu.playback_id, NOW)

    def _end_stale(self, playback_id: str) -> list[Action]:
        return self.menu.playback_finished(playback_id, NOW)

    def _fire(self, _arg: str) -> list[Action]:
        """The running timer expires."""
        key = self.timers.pop(0)
        return self.menu.timer(key, NOW)

    def _fire_stale(self, number: str) -> list[Action]:
        return self.menu.timer(("menu", "c1", number), NOW)

    def _cancel(self, _arg: str) -> list[Action]:
        return self.menu.cancel(NOW)


_STEPS = {
    "start": Driver._start,
    "digit": Driver._digit,
    "end": Driver._end,
    "end_stale": Driver._end_stale,
    "fire": Driver._fire,
    "fire_stale": Driver._fire_stale,
    "cancel": Driver._cancel,
}


def token(action: Action) -> str:
    match action:
        case PlayPrompt(media, playback_id):
            return f"play {_LABELS[media]} {playback_id}"
        case StopPrompt(playback_id):
            return f"stop {playback_id}"
        case StartTimer(key, delay_s):
            return f"timer {key[-1]} {delay_s:g}"
        case CancelTimer(key):
            return f"cancel {key[-1]}"
        case Done(line_code, reason, digit):
            return f"done {line_code} {reason} {digit}"
    raise AssertionError(action)


# Each row: a name, then (step, expected tokens) pairs.  Timers are numbered per menu, prompts
# get a 120 s guard timer, the wait for a digit is 5 s.
PATHS: list[tuple[Any, ...]] = [
    (
        "digit after the prompt chooses",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("digit 1", ["cancel 2", f"done {HOUSING} chosen 1"]),
    ),
    (
        "digit during the prompt stops it and chooses",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 2", ["stop pb-1", "cancel 1", f"done {GENERAL} chosen 2"]),
    ),
    (
        "invalid digit: invalid prompt, then the menu again, then a valid choice",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("digit 7", ["cancel 2", "play invalid pb-2", "timer 3 120"]),
        ("end", ["cancel 3", "play menu pb-3", "timer 4 120"]),
        ("end", ["cancel 4", "timer 5 5"]),
        ("digit 1", ["cancel 5", f"done {HOUSING} chosen 1"]),
    ),
    (
        "no digit: timeout prompt, then the menu again",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("fire", ["play timeout pb-2", "timer 3 120"]),
        ("end", ["cancel 3", "play menu pb-3", "timer 4 120"]),
    ),
    (
        "a digit during the invalid prompt interrupts it and counts as the next try",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 9", ["stop pb-1", "cancel 1", "play invalid pb-2", "timer 2 120"]),
        ("digit 2", ["stop pb-2", "cancel 2", f"done {GENERAL} chosen 2"]),
    ),
    (
        "three invalid digits: the default line code",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 9", ["stop pb-1", "cancel 1", "play invalid pb-2", "timer 2 120"]),
        ("end", ["cancel 2", "play menu pb-3", "timer 3 120"]),
        ("digit #", ["stop pb-3", "cancel 3", "play invalid pb-4", "timer 4 120"]),
        ("end", ["cancel 4", "play menu pb-5", "timer 5 120"]),
        ("digit *", ["stop pb-5", "cancel 5", f"done {GENERAL} invalid_fallback None"]),
    ),
    (
        "three timeouts: the default line code",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("fire", ["play timeout pb-2", "timer 3 120"]),
        ("end", ["cancel 3", "play menu pb-3", "timer 4 120"]),
        ("end", ["cancel 4", "timer 5 5"]),
        ("fire", ["play timeout pb-4", "timer 6 120"]),
        ("end", ["cancel 6", "play menu pb-5", "timer 7 120"]),
        ("end", ["cancel 7", "timer 8 5"]),
        ("fire", [f"done {GENERAL} timeout_fallback None"]),
    ),
    (
        "mixed failures: the last one names the fallback",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("fire", ["play timeout pb-2", "timer 3 120"]),
        ("digit 5", ["stop pb-2", "cancel 3", "play invalid pb-3", "timer 4 120"]),
        ("end", ["cancel 4", "play menu pb-4", "timer 5 120"]),
        ("end", ["cancel 5", "timer 6 5"]),
        ("fire", [f"done {GENERAL} timeout_fallback None"]),
    ),
    (
        "a prompt whose PlaybackFinished is lost: the guard stops it and the menu goes on",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("fire", ["stop pb-1", "timer 2 5"]),
        ("digit 1", ["cancel 2", f"done {HOUSING} chosen 1"]),
    ),
    (
        "a lost feedback PlaybackFinished: the guard replays the menu",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 0", ["stop pb-1", "cancel 1", "play invalid pb-2", "timer 2 120"]),
        ("fire", ["stop pb-2", "play menu pb-3", "timer 3 120"]),
    ),
    (
        "stale events change nothing: an old playback, an old timer, a second start",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 9", ["stop pb-1", "cancel 1", "play invalid pb-2", "timer 2 120"]),
        ("end_stale pb-1", []),
        ("fire_stale 1", []),
        ("start", []),
        ("end", ["cancel 2", "play menu pb-3", "timer 3 120"]),
    ),
    (
        "after Done nothing moves: late PlaybackFinished, digits, timers",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 1", ["stop pb-1", "cancel 1", f"done {HOUSING} chosen 1"]),
        ("end_stale pb-1", []),
        ("digit 2", []),
        ("fire_stale 1", []),
        ("fire_stale 2", []),
        ("cancel", []),
    ),
    (
        "events before start change nothing",
        ("digit 1", []),
        ("end_stale pb-1", []),
        ("fire_stale 1", []),
        ("start", ["play menu pb-1", "timer 1 120"]),
    ),
    (
        "the caller hangs up during the prompt: stop it, cancel the guard, decide nothing",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("cancel", ["stop pb-1", "cancel 1"]),
        ("digit 1", []),
    ),
    (
        "the caller hangs up while the menu waits for a digit",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("cancel", ["cancel 2"]),
        ("fire_stale 2", []),
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=[p[0] for p in PATHS])
def test_menu_path(path):
    driver = Driver()
    for step, expected in path[1:]:
        assert driver.step(step) == expected, step


NOT_INTERRUPTIBLE: list[tuple[Any, ...]] = [
    (
        "a digit during the prompt waits for its end, then chooses",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 1", []),
        ("digit 2", []),  # the first digit counts
        ("end", ["cancel 1", f"done {HOUSING} chosen 1"]),
    ),
    (
        "an invalid digit typed ahead plays the invalid prompt in full, then the menu",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("digit 8", []),
        ("end", ["cancel 1", "play invalid pb-2", "timer 2 120"]),
        ("digit 1", []),
        ("end", ["cancel 2", f"done {HOUSING} chosen 1"]),
    ),
    (
        "without a digit it waits for one after the prompt",
        ("start", ["play menu pb-1", "timer 1 120"]),
        ("end", ["cancel 1", "timer 2 5"]),
        ("digit 2", ["cancel 2", f"done {GENERAL} chosen 2"]),
    ),
]


@pytest.mark.parametrize("path", NOT_INTERRUPTIBLE, ids=[p[0] for p in NOT_INTERRUPTIBLE])
def test_menu_path_not_interruptible(path):
    driver = Driver(replace(CONFIG, interruptible=False))
    for step, expected in path[1:]:
        assert driver.step(step) == expected, step


def test_without_feedback_prompts_the_menu_plays_again_at_once():
    driver = Driver(replace(CONFIG, invalid_prompt=(), timeout_prompt=()))
    driver.step("start")
    assert driver.step("end") == ["cancel 1", "timer 2 5"]
    assert driver.step("fire") == ["play menu pb-2", "timer 3 120"]
    assert driver.step("digit 4") == ["stop pb-2", "cancel 3", "play menu pb-3", "timer 4 120"]


def test_one_try_falls_back_at_the_first_failure():
    driver = Driver(replace(CONFIG, max_tries=1))
    driver.step("start")
    assert driver.step("digit 9") == [
        "stop pb-1",
        "cancel 1",
        f"done {GENERAL} invalid_fallback None",
    ]


def test_state_and_result_are_visible():
    driver = Driver()
    menu = driver.menu
    assert menu.state is MenuState.IDLE
    driver.step("start")
    # mypy keeps menu.state narrowed to IDLE across driver.step(), which changes it.
    assert menu.state is MenuState.PROMPTING  # type: ignore[comparison-overlap]
    driver.step("end")
    assert menu.state is MenuState.WAITING
    driver.step("digit 3")
    assert (menu.state, menu.failures) == (MenuState.FEEDBACK, 1)
    driver.step("digit 1")
    assert menu.state is MenuState.DONE
    assert menu.result == Done(HOUSING, DoneReason.CHOSEN, "1")
    assert menu.playback_id is None


def test_options_cannot_change_under_a_caller():
    options = {"1": HOUSING}
    config = MenuConfig(MENU, options, GENERAL)
    options["2"] = GENERAL
    assert dict(config.options) == {"1": HOUSING}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prompt": ()}, "prompt: the menu needs a prompt"),
        ({"options": {}}, "options: a menu needs at least one option"),
        ({"options": {"12": HOUSING}}, "'12' is not one DTMF digit"),
        ({"options": {"x": HOUSING}}, "'x' is not one DTMF digit"),
        ({"options": {"A": HOUSING}}, "'A' is not one DTMF digit"),
        ({"timeout_s": 0}, "timeout_s: must be more than 0"),
        ({"max_tries": 0}, "max_tries: must be at least 1"),
        ({"prompt_guard_s": -1}, "prompt_guard_s: must be more than 0"),
    ],
)
def test_a_bad_menu_is_refused_with_the_key_and_reason(overrides, message):
    fields = {"prompt": MENU, "options": {"1": HOUSING}, "default_line_code": GENERAL}
    with pytest.raises(MenuConfigError, match=message):
        MenuConfig(**(fields | overrides))
