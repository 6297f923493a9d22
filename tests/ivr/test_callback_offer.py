"""The callback offer without a socket: feed digits, playback ends, timer expiries and the
engine's word on storing; check the actions.  Every path of the offer is a row of the tables
below."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from foundation.errors import CallbackOfferConfigError
from ivr.actions import CancelTimer, PlayPrompt, StartTimer, StopPrompt
from ivr.callback_offer import (
    NUMBER,
    Accepted,
    BackReason,
    BackToQueue,
    CallbackAction,
    CallbackOffer,
    CallbackOfferConfig,
    Declined,
    DeclineReason,
    Finished,
    OfferState,
)
from ivr.numbers import GROUP_PAUSE

NOW = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
CONFIG = CallbackOfferConfig()  # the Dutch defaults: 6 s for a key, 5 s between digits
MOBILE = "0470123456"  # as the channel gives the caller ID


class Driver:
    """Feeds an offer like the engine would, and writes its actions as short tokens."""

    def __init__(
        self, config: CallbackOfferConfig = CONFIG, caller_id: str | None = MOBILE
    ) -> None:
        counter = itertools.count(1)
        self.offer = CallbackOffer(
            config,
            ids=lambda prefix: f"{prefix}-{next(counter)}",
            key=("cboffer", "c1"),
            caller_id=caller_id,
        )
        self.timers: list[tuple[str, ...]] = []  # running, oldest first

    def step(self, step: str) -> list[str]:
        kind, _, arg = step.partition(" ")
        out = _STEPS[kind](self, arg)
        return [token(a) for a in out]

    def _track(self, out: list[CallbackAction]) -> list[CallbackAction]:
        for action in out:
            if isinstance(action, StartTimer):
                self.timers.append(action.key)
            elif isinstance(action, CancelTimer):
                self.timers.remove(action.key)
        return out

    def _start(self, _arg: str) -> list[CallbackAction]:
        return self._track(self.offer.start(NOW))

    def _digit(self, digit: str) -> list[CallbackAction]:
        return self._track(self.offer.digit(digit, NOW))

    def _keys(self, digits: str) -> list[CallbackAction]:
        """Several keys in a row: what the last one does.  The ones before may only move the
        inter-digit timer (and cut the question, for the first)."""
        for digit in digits[:-1]:
            out = self._digit(digit)
            assert all(isinstance(a, StopPrompt | CancelTimer | StartTimer) for a in out), out
        return self._digit(digits[-1])

    def _end(self, _arg: str) -> list[CallbackAction]:
        """The current prompt finishes."""
        assert self.offer.playback_id is not None
        return self._track(self.offer.playback_finished(self.offer.playback_id, NOW))

    def _end_stale(self, playback_id: str) -> list[CallbackAction]:
        return self.offer.playback_finished(playback_id, NOW)

    def _fire(self, _arg: str) -> list[CallbackAction]:
        """The running timer expires."""
        key = self.timers.pop(0)
        return self._track(self.offer.timer(key, NOW))

    def _fire_stale(self, number: str) -> list[CallbackAction]:
        return self.offer.timer(("cboffer", "c1", number), NOW)

    def _stored(self, merged: str) -> list[CallbackAction]:
        return self._track(self.offer.stored(merged == "merged", NOW))

    def _store_failed(self, _arg: str) -> list[CallbackAction]:
        return self._track(self.offer.store_failed(NOW))

    def _cancel(self, _arg: str) -> list[CallbackAction]:
        return self._track(self.offer.cancel(NOW))


_STEPS = {
    "start": Driver._start,
    "digit": Driver._digit,
    "keys": Driver._keys,
    "end": Driver._end,
    "end_stale": Driver._end_stale,
    "fire": Driver._fire,
    "fire_stale": Driver._fire_stale,
    "stored": Driver._stored,
    "store_failed": Driver._store_failed,
    "cancel": Driver._cancel,
}


def spoken(media: tuple[str, ...]) -> str:
    """What the caller hears, in words: a prompt's name without ``sound:acd-callback-``, a
    number's digit sounds run together and a pause between groups as a space
    (``call-you-on 0470 12 34 56 confirm-or-other``)."""
    text = ""
    for uri in media:
        digit = uri.removeprefix("sound:digits/")
        if digit != uri and digit.isdigit():
            text += digit
        elif uri == GROUP_PAUSE:
            text += " "
        else:
            text += f" {uri.removeprefix('sound:acd-callback-')} "
    return " ".join(text.split())


def token(action: CallbackAction) -> str:
    match action:
        case PlayPrompt(media, playback_id):
            return f"play {playback_id}: " + spoken(media)
        case StopPrompt(playback_id):
            return f"stop {playback_id}"
        case StartTimer(key, delay_s):
            return f"timer {key[-1]} {delay_s:g}"
        case CancelTimer(key):
            return f"cancel {key[-1]}"
        case Declined(reason):
            return f"declined {reason}"
        case Accepted(number):
            return f"accepted {number}"
        case Finished(outcome):
            return f"finished {outcome}"
        case BackToQueue(reason):
            return f"back to queue {reason}"
    raise AssertionError(action)


OFFER = ["play pb-1: offer", "timer 1 120"]
CONFIRM_MOBILE = "call-you-on 0470 12 34 56 confirm-or-other"

# Each row: a name, the caller ID, then (step, expected tokens) pairs.  Timers are numbered per
# offer; prompts get a 120 s guard timer, the wait for a key is 6 s, between digits 5 s.
PATHS: list[tuple[Any, ...]] = [
    (
        "accept with the caller ID",
        MOBILE,
        ("start", OFFER),
        ("end", ["cancel 1", "timer 2 6"]),
        ("digit 1", ["cancel 2", f"play pb-2: {CONFIRM_MOBILE}", "timer 3 120"]),
        ("end", ["cancel 3", "timer 4 6"]),
        ("digit 1", ["cancel 4", "accepted +32470123456"]),
        ("stored new", ["play pb-3: accepted 0470 12 34 56", "timer 5 120"]),
        ("end", ["cancel 5", "finished callback_requested"]),
    ),
    (
        "accept with the caller ID, both prompts cut short by the keys",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("stored new", ["play pb-3: accepted 0470 12 34 56", "timer 3 120"]),
        ("end", ["cancel 3", "finished callback_requested"]),
    ),
    (
        "accept with another number keyed instead of the caller ID, digit by digit",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 0", ["stop pb-2", "cancel 2", "timer 3 5"]),
        ("digit 2", ["cancel 3", "timer 4 5"]),
        ("keys 5531234", ["cancel 10", "timer 11 5"]),
        ("digit #", ["cancel 11", "accepted +3225531234"]),
        ("stored new", ["play pb-3: accepted 02 553 12 34", "timer 12 120"]),
        ("end", ["cancel 12", "finished callback_requested"]),
    ),
    (
        "anonymous caller ID: straight to keying in a number",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        ("keys 0470123456#", ["cancel 12", "accepted +32470123456"]),
        ("stored new", ["play pb-3: accepted 0470 12 34 56", "timer 13 120"]),
    ),
    (
        "no caller ID at all: the same",
        None,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
    ),
    (
        "a premium-rate caller ID is not offered: keying in a number",
        "090012345",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        ("end", ["cancel 2", "timer 3 6"]),
        ("digit 1", ["cancel 3", "timer 4 5"]),  # 1 is the first digit of a number here
    ),
    (
        "a foreign caller ID is not offered when the line does not allow foreign numbers",
        "+31612345678",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        (
            "keys 0031612345678#",
            ["cancel 15", "play pb-3: invalid-number enter-number", "timer 16 120"],
        ),
    ),
    (
        "invalid three times: sorry, back to the queue with the place kept",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        (
            "keys 090012345#",
            ["cancel 11", "play pb-3: invalid-number enter-number", "timer 12 120"],
        ),
        ("keys 1700#", ["cancel 16", "play pb-4: invalid-number enter-number", "timer 17 120"]),
        ("keys 0470#", ["cancel 21", "play pb-5: invalid-number sorry", "timer 22 120"]),
        ("digit 1", []),  # the apology is heard in full
        ("end", ["cancel 22", "back to queue too_many_tries"]),
    ),
    (
        "an invalid number, then a valid one: the caller ID is offered again",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("keys 0800#", ["cancel 6", f"play pb-3: invalid-number {CONFIRM_MOBILE}", "timer 7 120"]),
        ("digit 1", ["stop pb-3", "cancel 7", "accepted +32470123456"]),
    ),
    (
        "no input after accepting counts as a failed try: the question again, no 'invalid'",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("end", ["cancel 2", "timer 3 6"]),
        ("fire", [f"play pb-3: {CONFIRM_MOBILE}", "timer 4 120"]),
        ("end", ["cancel 4", "timer 5 6"]),
        ("fire", [f"play pb-4: {CONFIRM_MOBILE}", "timer 6 120"]),
        ("end", ["cancel 6", "timer 7 6"]),
        ("fire", ["play pb-5: sorry", "timer 8 120"]),
        ("end", ["cancel 8", "back to queue too_many_tries"]),
    ),
    (
        "a caller who forgets # : the number is taken after the inter-digit timeout",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        ("keys 025531234", ["cancel 10", "timer 11 5"]),
        ("fire", ["accepted +3225531234"]),
    ),
    (
        "a number keyed only in part is invalid at the inter-digit timeout",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        ("keys 0470", ["cancel 5", "timer 6 5"]),
        ("fire", ["play pb-3: invalid-number enter-number", "timer 7 120"]),
    ),
    (
        "more than max_digits digits: invalid at #, however valid the start",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        (
            "keys 0470123456000000#",
            ["cancel 18", "play pb-3: invalid-number enter-number", "timer 19 120"],
        ),
    ),
    (
        "a star in the number makes it invalid",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        (
            "keys 0470*123456#",
            ["cancel 13", "play pb-3: invalid-number enter-number", "timer 14 120"],
        ),
    ),
    (
        "# alone is an invalid number, not a confirmation",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        (
            "digit #",
            ["stop pb-2", "cancel 2", f"play pb-3: invalid-number {CONFIRM_MOBILE}", "timer 3 120"],
        ),
    ),
    (
        "decline by no input: the caller keeps waiting",
        MOBILE,
        ("start", OFFER),
        ("end", ["cancel 1", "timer 2 6"]),
        ("fire", ["declined no_input"]),
    ),
    (
        "decline by another digit during the offer",
        MOBILE,
        ("start", OFFER),
        ("digit 2", ["stop pb-1", "cancel 1", "declined declined"]),
    ),
    (
        "decline by another digit after the offer",
        MOBILE,
        ("start", OFFER),
        ("end", ["cancel 1", "timer 2 6"]),
        ("digit #", ["cancel 2", "declined declined"]),
    ),
    (
        "store failure: sorry, back to the queue with the place kept",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("store_failed", ["play pb-3: sorry", "timer 3 120"]),
        ("end", ["cancel 3", "back to queue store_failed"]),
    ),
    (
        "merged with a pending callback: the caller is told so",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("stored merged", ["play pb-3: merged", "timer 3 120"]),
        ("end", ["cancel 3", "finished callback_requested"]),
    ),
    (
        "nothing moves while the engine stores: keys, stale timers and playbacks",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("digit 1", []),
        ("digit #", []),
        ("fire_stale 2", []),
        ("end_stale pb-2", []),
        ("stored new", ["play pb-3: accepted 0470 12 34 56", "timer 3 120"]),
        ("digit 1", []),  # the confirmation is heard in full
        ("stored new", []),  # told twice: once is enough
        ("store_failed", []),
        ("end", ["cancel 3", "finished callback_requested"]),
    ),
    (
        "a lost PlaybackFinished of the confirmation: the guard ends the call anyway",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("stored new", ["play pb-3: accepted 0470 12 34 56", "timer 3 120"]),
        ("fire", ["stop pb-3", "finished callback_requested"]),
    ),
    (
        "a lost PlaybackFinished of the offer: the guard starts the wait for a key",
        MOBILE,
        ("start", OFFER),
        ("fire", ["stop pb-1", "timer 2 6"]),
        ("fire", ["declined no_input"]),
    ),
    (
        "stale events after the end change nothing",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("stored new", ["play pb-3: accepted 0470 12 34 56", "timer 3 120"]),
        ("end", ["cancel 3", "finished callback_requested"]),
        ("end_stale pb-3", []),
        ("digit 1", []),
        ("fire_stale 3", []),
        ("stored merged", []),
        ("store_failed", []),
        ("start", []),
        ("cancel", []),
    ),
    (
        "stale events after a decline change nothing",
        MOBILE,
        ("start", OFFER),
        ("digit 9", ["stop pb-1", "cancel 1", "declined declined"]),
        ("end_stale pb-1", []),
        ("fire_stale 1", []),
        ("digit 1", []),
        ("stored new", []),
    ),
    (
        "events before start change nothing; stored before anything was accepted neither",
        MOBILE,
        ("digit 1", []),
        ("end_stale pb-1", []),
        ("fire_stale 1", []),
        ("stored new", []),
        ("store_failed", []),
        ("start", OFFER),
        ("stored new", []),
        ("start", []),
    ),
    (
        "the caller hangs up during the question: stop it, cancel the guard, decide nothing",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("cancel", ["stop pb-2", "cancel 2"]),
        ("digit 1", []),
        ("fire_stale 2", []),
    ),
    (
        "the caller hangs up while keying: the inter-digit timer goes",
        "anonymous",
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", "play pb-2: enter-number", "timer 2 120"]),
        ("keys 047", ["cancel 4", "timer 5 5"]),
        ("cancel", ["cancel 5"]),
        ("digit #", []),
    ),
    (
        "the caller hangs up while the engine stores: the store result changes nothing here",
        MOBILE,
        ("start", OFFER),
        ("digit 1", ["stop pb-1", "cancel 1", f"play pb-2: {CONFIRM_MOBILE}", "timer 2 120"]),
        ("digit 1", ["stop pb-2", "cancel 2", "accepted +32470123456"]),
        ("cancel", []),
        ("stored new", []),
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=[p[0] for p in PATHS])
def test_callback_offer_path(path):
    driver = Driver(caller_id=path[1])
    for step, expected in path[2:]:
        assert driver.step(step) == expected, step


def test_foreign_numbers_when_the_line_allows_them():
    driver = Driver(replace(CONFIG, allow_foreign=True), caller_id="+31612345678")
    driver.step("start")
    assert driver.step("digit 1") == [
        "stop pb-1",
        "cancel 1",
        "play pb-2: call-you-on 00 31 6 12345678 confirm-or-other",
        "timer 2 120",
    ]
    assert driver.step("keys 0033612345678#")[-1] == "accepted +33612345678"
    assert driver.step("stored new") == [
        "play pb-3: accepted 00 33 6 12 34 56 78",
        "timer 16 120",
    ]


def test_the_lines_own_keys_accept_keep_and_ask_for_another_number():
    keys = replace(CONFIG, accept_digit="5", keep_digit="9", other_digit="*", end_digit="#")
    declined = Driver(keys)
    declined.step("start")
    declined.step("digit 1")  # the default accept key is just another key here
    assert declined.offer.result == Declined(DeclineReason.DECLINED)

    kept = Driver(keys)
    kept.step("start")
    kept.step("digit 5")
    kept.step("end")
    assert kept.step("digit 9")[-1] == "accepted +32470123456"

    other = Driver(keys)
    other.step("start")
    other.step("digit 5")
    other.step("end")
    assert other.step("digit *") == ["cancel 3", "timer 4 6"]  # the question's patience
    assert other.step("keys 016123456#")[-1] == "accepted +3216123456"


def test_the_other_number_key_then_silence_asks_again_without_calling_it_invalid():
    driver = Driver()
    driver.step("start")
    driver.step("digit 1")
    driver.step("end")
    driver.step("digit 2")
    assert driver.step("fire") == [
        "play pb-3: call-you-on 0470 12 34 56 confirm-or-other",  # no "invalid number" first
        "timer 5 120",
    ]
    assert driver.offer.failures == 1


def test_one_try_and_no_apology_goes_straight_back_to_the_queue():
    driver = Driver(replace(CONFIG, max_tries=1, invalid_prompt=(), sorry_prompt=()), "anonymous")
    driver.step("start")
    driver.step("digit 1")
    assert driver.step("keys 12#") == ["cancel 4", "back to queue too_many_tries"]


def test_the_prompts_say_the_number_where_the_line_puts_it():
    config = replace(
        CONFIG,
        confirm_prompt=("sound:acd-callback-press-1-for", NUMBER),
        merged_prompt=("sound:acd-callback-merged", NUMBER),
    )
    driver = Driver(config)
    driver.step("start")
    assert driver.step("digit 1")[2] == "play pb-2: press-1-for 0470 12 34 56"
    driver.step("digit 1")
    assert driver.step("stored merged")[0] == "play pb-3: merged 0470 12 34 56"


def test_state_and_result_are_visible():
    driver = Driver()
    offer = driver.offer
    assert (offer.state, offer.caller_number) == (OfferState.IDLE, "+32470123456")
    driver.step("start")
    assert offer.state is OfferState.OFFERING
    driver.step("digit 1")
    # mypy keeps offer.state narrowed to OFFERING across driver.step(), which changes it.
    assert offer.state is OfferState.ASKING  # type: ignore[comparison-overlap]
    driver.step("digit 0")
    assert offer.state is OfferState.ENTERING
    driver.step("digit #")
    assert (offer.state, offer.failures) == (OfferState.ASKING, 1)
    driver.step("digit 1")
    assert (offer.state, offer.number) == (OfferState.STORING, "+32470123456")
    driver.step("stored merged")
    assert (offer.state, offer.merged) == (OfferState.CONFIRMING, True)
    driver.step("end")
    assert offer.state is OfferState.DONE
    assert offer.result == Finished("callback_requested")
    assert offer.playback_id is None
    assert driver.timers == []


def test_the_results_of_declining_and_going_back():
    declined = Driver()
    declined.step("start")
    declined.step("digit 3")
    assert declined.offer.result == Declined(DeclineReason.DECLINED)
    failed = Driver()
    failed.step("start")
    failed.step("digit 1")
    failed.step("digit 1")
    failed.step("store_failed")
    failed.step("end")
    assert failed.offer.result == BackToQueue(BackReason.STORE_FAILED)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"offer_prompt": ()}, "offer_prompt: must not be empty"),
        ({"enter_prompt": ()}, "enter_prompt: must not be empty"),
        ({"accepted_prompt": ()}, "accepted_prompt: must not be empty"),
        ({"enter_prompt": ("sound:x", NUMBER)}, "enter_prompt: cannot say the number"),
        ({"offer_prompt": (NUMBER,)}, "offer_prompt: cannot say the number"),
        ({"timeout_s": 0}, "timeout_s: must be more than 0"),
        ({"digit_timeout_s": -1}, "digit_timeout_s: must be more than 0"),
        ({"max_tries": 0}, "max_tries: must be at least 1"),
        ({"max_digits": 0}, "max_digits: must be at least 1"),
        ({"prompt_guard_s": 0}, "prompt_guard_s: must be more than 0"),
        ({"default_region": "XX"}, "default_region: 'XX' is not a known region"),
        ({"accept_digit": "12"}, "accept_digit: '12' is not one DTMF key"),
        ({"end_digit": "A"}, "end_digit: 'A' is not one DTMF key"),
        ({"other_digit": "1"}, "other_digit: '1' is also keep_digit"),
        ({"end_digit": "5"}, "end_digit: '5' would end the number early"),
        ({"keep_digit": "0"}, "keep_digit: '0' could be the first digit of a keyed number"),
    ],
)
def test_a_bad_config_is_refused_with_the_key_and_reason(overrides, message):
    with pytest.raises(CallbackOfferConfigError, match=message):
        CallbackOfferConfig(**overrides)
