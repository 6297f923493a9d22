"""Announcements for one queued caller, on a clock the test moves: ticks, gaps, what is said
and what is left unsaid."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from foundation.errors import AnnouncementConfigError
from ivr.actions import Action, CancelTimer, PlayPrompt, StartTimer, StopPrompt
from ivr.announcements import AnnouncementConfig, AnnouncementScheduler

T0 = datetime(2027, 3, 30, 10, 0, tzinfo=UTC)
CONFIG = AnnouncementConfig(first_after_s=30, interval_s=60, min_gap_s=20)


def short(uri: str) -> str:
    return uri.removeprefix("sound:").removeprefix("queue-").removeprefix("digits/")


def token(action: Action) -> str:
    match action:
        case PlayPrompt(media, playback_id):
            return f"play[{playback_id}] " + " ".join(short(m) for m in media)
        case StopPrompt(playback_id):
            return f"stop {playback_id}"
        case StartTimer(_, delay_s):
            return f"timer {delay_s:g}"
        case CancelTimer(_):
            return "cancel"
    raise AssertionError(action)


class Caller:
    """A queued caller's scheduler, driven like the engine drives it."""

    def __init__(self, config: AnnouncementConfig = CONFIG, **kwargs) -> None:
        counter = itertools.count(1)
        self.scheduler = AnnouncementScheduler(
            config, ids=lambda p: f"{p}-{next(counter)}", key=("announce", "ct-1"), **kwargs
        )
        self.now = T0
        self.timer: tuple[str, ...] | None = None

    def _track(self, out: list[Action]) -> list[str]:
        for action in out:
            if isinstance(action, StartTimer):
                self.timer = action.key
            elif isinstance(action, CancelTimer):
                self.timer = None
        return [token(a) for a in out]

    def start(self) -> list[str]:
        return self._track(self.scheduler.start(self.now))

    def tick(self, position: int, estimate_s: float | None, connecting: bool = False) -> list[str]:
        """Move the clock to the next tick and fire it."""
        assert self.timer is not None
        assert self.scheduler.next_tick_at is not None
        self.now = self.scheduler.next_tick_at
        key, self.timer = self.timer, None
        return self._track(
            self.scheduler.tick(key, self.now, position, estimate_s, connecting=connecting)
        )

    def finished(self, after_s: float = 8.0) -> list[str]:
        """The announcement playing now ends ``after_s`` later."""
        playback = self.scheduler.playback_id
        assert playback is not None
        self.now += timedelta(seconds=after_s)
        return self._track(self.scheduler.playback_finished(playback, self.now))

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


FULL_5 = "play[pb-1] thereare 5 callswaiting holdtime 7 minutes thankyou"


def test_first_announcement_after_first_after_s_then_every_interval():
    caller = Caller()
    assert caller.start() == ["timer 30"]
    assert caller.scheduler.next_tick_at == T0 + timedelta(seconds=30)
    assert caller.tick(5, 400) == [FULL_5, "timer 60"]
    assert caller.finished() == []
    assert caller.tick(3, 250) == [
        "play[pb-2] thereare 3 callswaiting holdtime 4 minutes thankyou",
        "timer 60",
    ]
    assert caller.now == T0 + timedelta(seconds=90)


# Each row: what the caller heard first (position 5, 7 min), then the next tick's situation,
# and what they hear at that tick.
AFTER_POSITION_5_WAIT_7 = [
    ("nothing new: music only", 5, 400, []),
    ("better position, same wait: both", 4, 400, ["thereare 4 callswaiting holdtime 7 minutes"]),
    ("better position, shorter wait: both", 4, 330, ["thereare 4 callswaiting holdtime 6 minutes"]),
    ("same position, shorter wait: the wait", 5, 330, ["holdtime 6 minutes"]),
    ("worse position: not said", 7, 400, []),
    ("worse position, shorter wait: only the wait", 7, 300, ["holdtime 5 minutes"]),
    ("longer wait before the last one ran out: not said", 5, 500, []),
    ("better position, longer wait: only the position", 4, 500, ["thereare 4 callswaiting"]),
    ("under a minute", 2, 40, ["thereare 2 callswaiting holdtime less-than 1 minute"]),
    ("no estimate (nobody serves): the position", 3, None, ["thereare 3 callswaiting"]),
    ("next in line: nothing (not_when_next)", 1, 20, []),
]


@pytest.mark.parametrize(
    ("situation", "position", "estimate_s", "heard"),
    AFTER_POSITION_5_WAIT_7,
    ids=[row[0] for row in AFTER_POSITION_5_WAIT_7],
)
def test_what_the_second_announcement_says(situation, position, estimate_s, heard):
    caller = Caller()
    caller.start()
    assert caller.tick(5, 400) == [FULL_5, "timer 60"]
    caller.finished()
    expected = [f"play[pb-2] {h} thankyou" for h in heard]
    assert caller.tick(position, estimate_s) == [*expected, "timer 60"]


def test_a_longer_wait_is_said_once_the_last_one_has_run_out():
    caller = Caller()
    caller.start()
    assert caller.tick(2, 70) == [
        "play[pb-1] thereare 2 callswaiting holdtime 1 minute thankyou",
        "timer 60",
    ]
    caller.finished()
    # 60 s later: "1 minute" has just run out, and the queue has not moved.
    assert caller.tick(2, 100) == ["play[pb-2] holdtime 2 minutes thankyou", "timer 60"]


def test_a_worse_position_is_never_said_until_it_beats_the_last_one_said():
    caller = Caller(replace(CONFIG, estimated_wait=False))
    caller.start()
    assert caller.tick(3, None) == ["play[pb-1] thereare 3 callswaiting thankyou", "timer 60"]
    caller.finished()
    assert caller.tick(6, None) == ["timer 60"]  # a priority contact jumped ahead
    assert caller.tick(3, None) == ["timer 60"]  # back where they were: nothing new
    assert caller.tick(2, None) == ["play[pb-2] thereare 2 callswaiting thankyou", "timer 60"]
    assert caller.scheduler.said_position == 2


def test_next_in_line_hears_you_are_next_when_not_when_next_is_off():
    caller = Caller(replace(CONFIG, not_when_next=False, estimated_wait=False))
    caller.start()
    assert caller.tick(1, 10) == ["play[pb-1] youarenext thankyou", "timer 60"]


def test_nothing_while_an_agent_phone_rings_for_the_caller():
    caller = Caller()
    caller.start()
    assert caller.tick(3, 200, connecting=True) == ["timer 60"]
    assert caller.tick(3, 200) == [
        "play[pb-1] thereare 3 callswaiting holdtime 3 minutes thankyou",
        "timer 60",
    ]


def test_position_beyond_the_limit_is_said_as_more_than():
    caller = Caller(replace(CONFIG, position_limit=10, estimated_wait=False))
    caller.start()
    assert caller.tick(14, None) == ["play[pb-1] quantity1 10 quantity2 thankyou", "timer 60"]


def test_wait_only():
    caller = Caller(replace(CONFIG, position=False))
    caller.start()
    assert caller.tick(8, 700) == ["play[pb-1] holdtime 10 minutes thankyou", "timer 60"]


# ---------------------------------------------------------------------- gaps


def test_the_first_announcement_keeps_the_gap_after_the_welcome():
    welcome_ended = T0 + timedelta(seconds=5)
    caller = Caller(replace(CONFIG, first_after_s=0), last_prompt_at=welcome_ended)
    assert caller.start() == ["timer 0"]
    assert caller.tick(4, 300) == ["timer 25"]  # 20 s after the welcome's end
    assert caller.now == T0
    assert caller.tick(4, 300)[0].startswith("play[pb-1] thereare 4")
    assert caller.now == welcome_ended + timedelta(seconds=20)


def test_no_announcement_during_or_right_after_another_prompt():
    caller = Caller()
    caller.start()
    caller.at(25)
    caller.scheduler.other_prompt_started(caller.now)  # the callback offer
    assert caller.tick(4, 300) == ["timer 20"]  # at 30 s: still playing; look again
    caller.at(45)
    caller.scheduler.other_prompt_ended(caller.now)
    assert caller.tick(4, 300) == ["timer 15"]  # at 50 s: only 5 s after its end
    assert caller.now == T0 + timedelta(seconds=50)
    out = caller.tick(4, 300)
    assert out[0].startswith("play[pb-1]")
    assert caller.now == T0 + timedelta(seconds=65)


def test_the_gap_counts_from_the_end_of_our_own_announcement():
    caller = Caller(replace(CONFIG, interval_s=25, min_gap_s=20))
    caller.start()
    caller.tick(5, 400)  # plays at 30 s
    caller.finished(after_s=12)  # ends at 42 s
    assert caller.tick(4, 400) == ["timer 7"]  # 55 s: 13 s after its end
    assert caller.tick(4, 400)[0].startswith("play[pb-2] thereare 4")


# ---------------------------------------------------------------------- cutting and staleness


def test_an_agent_answering_cuts_the_announcement_and_ends_the_schedule():
    caller = Caller()
    caller.start()
    caller.tick(5, 400)
    key = caller.timer
    assert [token(a) for a in caller.scheduler.stop(caller.now)] == ["stop pb-1", "cancel"]
    assert caller.scheduler.next_tick_at is None
    assert key is not None
    assert caller.scheduler.tick(key, caller.now, 4, 300) == []
    assert caller.scheduler.playback_finished("pb-1", caller.now) == []
    assert caller.scheduler.stop(caller.now) == []
    assert caller.scheduler.start(caller.now) == []


def test_stop_between_announcements_only_cancels_the_timer():
    caller = Caller()
    caller.start()
    caller.tick(5, 400)
    caller.finished()
    assert [token(a) for a in caller.scheduler.stop(caller.now)] == ["cancel"]


def test_a_stale_timer_changes_nothing():
    caller = Caller()
    caller.start()
    assert caller.scheduler.tick(("announce", "ct-1", "99"), T0, 3, 100) == []
    assert caller.scheduler.start(T0) == []  # started once is enough
    assert caller.tick(5, 400) == [FULL_5, "timer 60"]


def test_a_stale_playback_end_changes_nothing():
    caller = Caller()
    caller.start()
    caller.tick(5, 400)
    assert caller.scheduler.playback_finished("pb-0", caller.now) == []
    assert caller.scheduler.playback_id == "pb-1"


def test_a_lost_playback_end_does_not_block_the_next_announcement():
    caller = Caller()
    caller.start()
    caller.tick(5, 400)  # its PlaybackFinished never comes
    assert caller.tick(4, 330) == [
        "stop pb-1",
        "play[pb-2] thereare 4 callswaiting holdtime 6 minutes thankyou",
        "timer 60",
    ]


# ---------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_after_s": -1}, "first_after_s: must not be negative"),
        ({"interval_s": 0}, "interval_s: must be more than 0"),
        ({"min_gap_s": -1}, "min_gap_s: must not be negative"),
        ({"position": False, "estimated_wait": False}, "nothing to announce"),
        ({"position_limit": 0}, r"position_limit: must be 1\.\.999"),
        ({"position_limit": 1000}, r"position_limit: must be 1\.\.999, what we can say"),
    ],
)
def test_a_bad_config_is_refused(overrides, message):
    with pytest.raises(AnnouncementConfigError, match=message):
        AnnouncementConfig(**overrides)
