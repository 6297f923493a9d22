"""Position and estimated-wait announcements for one waiting caller, sans I/O.

The scheduler owns its timer: :meth:`AnnouncementScheduler.start` asks for the first tick,
every tick asks for the next one.  At each tick the engine passes what it knows then (the
caller's position, the wait estimate of :mod:`sla.wait_estimate`, whether an agent's phone is
ringing for the caller) and gets back what to play, if anything.  Everything that decides
*whether* and *what* to say lives here; the rules follow ``app_queue``'s options
(``configs/samples/queues.conf.sample``), adapted to what a caller can bear:

- ``interval_s`` between regular announcements (app_queue's ``announce-frequency``), the
  first one ``first_after_s`` after queueing.
- ``min_gap_s``: never sooner than this after the end of any prompt to the caller, ours or the
  engine's (a callback offer), so prompts never come back to back
  (``min-announce-frequency``).  A tick that comes too soon is put off, not dropped.
- A position is said only when it is better than the last one said
  (``announce-position-only-up``): a caller pushed back by a higher-priority contact is not
  told so.  A wait is said when it is shorter than the last one said (or the same, along with
  a better position), or once the last one has run out: a longer figure without a visible
  cause sounds like the queue going backwards, and estimates wobble around rounding points.
- Nothing to the caller who is next when ``not_when_next`` (``announce-to-first-user = no``):
  an agent is about to connect and the announcement would only delay the conversation.
  Nothing either while an agent's phone rings for the caller.
- When there is nothing new to say, the caller keeps their music.

The engine must be able to cut an announcement the moment an agent answers: :meth:`stop` returns
the :class:`~ivr.actions.StopPrompt` for the playback in progress and ends the schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from foundation.errors import AnnouncementConfigError
from ivr.actions import Action, CancelTimer, PlayPrompt, StartTimer, StopPrompt, TimerKey
from ivr.prompts import DUTCH, SoundNames, announcement_media, spoken_wait_minutes
from ivr.say import MAX_SAID

log = logging.getLogger(__name__)

IdFactory = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class AnnouncementConfig:
    """A line's ``announcements`` settings, plus the sounds to say them with."""

    first_after_s: float = 30.0
    interval_s: float = 60.0
    min_gap_s: float = 30.0
    position: bool = True
    estimated_wait: bool = True
    not_when_next: bool = True
    position_limit: int | None = None  # beyond it: "more than <limit> callers waiting"
    sounds: SoundNames = DUTCH

    def __post_init__(self) -> None:
        problems = [
            *([] if self.first_after_s >= 0 else ["first_after_s: must not be negative"]),
            *([] if self.interval_s > 0 else ["interval_s: must be more than 0"]),
            *([] if self.min_gap_s >= 0 else ["min_gap_s: must not be negative"]),
            *([] if self.position or self.estimated_wait else ["nothing to announce"]),
            *(
                [f"position_limit: must be 1..{MAX_SAID}, what we can say"]
                if self.position_limit is not None and not 1 <= self.position_limit <= MAX_SAID
                else []
            ),
        ]
        if problems:
            raise AnnouncementConfigError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class _Said:
    """What the caller last heard from us, and when."""

    position: int | None = None
    wait_minutes: int | None = None
    wait_said_at: datetime | None = None


class AnnouncementScheduler:
    """One queued caller's announcements.

    ``ids(prefix)`` makes playback ids (called with ``"pb"``); ``key`` prefixes every timer
    key, e.g. ``("announce", contact_id)``.  ``last_prompt_at`` is when the caller's previous
    prompt (the welcome, the menu) ended, so the first announcement keeps the minimum gap too.
    """

    def __init__(
        self,
        config: AnnouncementConfig,
        ids: IdFactory,
        key: TimerKey = ("announce",),
        last_prompt_at: datetime | None = None,
    ) -> None:
        self.config = config
        self._ids = ids
        self._key = key
        self._said = _Said()
        self._last_prompt_at = last_prompt_at
        self._other_playing = False
        self._playback: str | None = None
        self._timer: TimerKey | None = None
        self._timers_made = 0
        self._stopped = False
        self.next_tick_at: datetime | None = None
        """When the running timer fires: the engine needs no other clock for us."""

    @property
    def playback_id(self) -> str | None:
        """The announcement playing now, if any."""
        return self._playback

    @property
    def said_position(self) -> int | None:
        return self._said.position

    @property
    def said_wait_minutes(self) -> int | None:
        return self._said.wait_minutes

    # ------------------------------------------------------------------ events

    def start(self, now: datetime) -> list[Action]:
        if self._stopped or self._timers_made:
            return []
        return self._schedule(now, self.config.first_after_s)

    def tick(
        self,
        key: TimerKey,
        now: datetime,
        position: int,
        estimate_s: float | None,
        *,
        connecting: bool = False,
    ) -> list[Action]:
        """The timer ``key`` fired.  ``position`` counts from 1 (next); ``estimate_s`` is
        ``None`` when no estimate exists (nobody serves the line code)."""
        if self._stopped or key != self._timer:
            return []
        self._timer = None
        out = self._drop_lost_playback()
        hold = self._hold_off(now, position, connecting)
        if hold is not None:
            return out + self._schedule(now, hold)
        media = self._compose(now, position, estimate_s)
        if media:
            out += self._play(now, media)
        return out + self._schedule(now, self.config.interval_s)

    def playback_finished(self, playback_id: str, now: datetime) -> list[Action]:
        if playback_id == self._playback:
            self._playback = None
            self._last_prompt_at = now
        return []

    def other_prompt_started(self, now: datetime) -> list[Action]:
        """The engine plays the caller something else (a callback offer): keep quiet."""
        self._other_playing = True
        return []

    def other_prompt_ended(self, now: datetime) -> list[Action]:
        self._other_playing = False
        self._last_prompt_at = now
        return []

    def stop(self, now: datetime) -> list[Action]:
        """The caller leaves the queue (an agent answered, they hung up): cut what plays, and
        no more ticks."""
        if self._stopped:
            return []
        self._stopped = True
        self.next_tick_at = None
        out: list[Action] = []
        if self._playback is not None:
            out.append(StopPrompt(self._playback))
            self._playback = None
        if self._timer is not None:
            out.append(CancelTimer(self._timer))
            self._timer = None
        return out

    # ------------------------------------------------------------------ decisions

    def _hold_off(self, now: datetime, position: int, connecting: bool) -> float | None:
        """Seconds until the next try when now is not the moment to speak, else None."""
        if connecting or (self.config.not_when_next and position <= 1):
            return self.config.interval_s
        if self._other_playing:
            return max(self.config.min_gap_s, 1.0)  # its end is unknown: look again later
        if self._last_prompt_at is not None:
            gap_ends = self._last_prompt_at + timedelta(seconds=self.config.min_gap_s)
            if now < gap_ends:
                return (gap_ends - now).total_seconds()
        return None

    def _compose(self, now: datetime, position: int, estimate_s: float | None) -> tuple[str, ...]:
        said_position = self._position_to_say(position)
        said_wait = self._wait_to_say(now, estimate_s, said_position is not None)
        media = announcement_media(
            said_position,
            estimate_s if said_wait is not None else None,
            self.config.sounds,
            self.config.position_limit,
        )
        if media:
            self._said = _Said(
                position=said_position if said_position is not None else self._said.position,
                wait_minutes=said_wait if said_wait is not None else self._said.wait_minutes,
                wait_said_at=now if said_wait is not None else self._said.wait_said_at,
            )
        return media

    def _position_to_say(self, position: int) -> int | None:
        if not self.config.position:
            return None
        last = self._said.position
        return position if last is None or position < last else None

    def _wait_to_say(
        self, now: datetime, estimate_s: float | None, with_position: bool
    ) -> int | None:
        if not self.config.estimated_wait or estimate_s is None:
            return None
        minutes = spoken_wait_minutes(estimate_s)
        last, said_at = self._said.wait_minutes, self._said.wait_said_at
        if last is None or said_at is None or minutes < last:
            return minutes
        if with_position and minutes == last:
            return minutes  # a new position sounds odd without its wait; the same one is fine
        ran_out = now >= said_at + timedelta(minutes=max(last, 1))
        return minutes if ran_out else None

    # ------------------------------------------------------------------ helpers

    def _play(self, now: datetime, media: tuple[str, ...]) -> list[Action]:
        self._playback = self._ids("pb")
        self._last_prompt_at = now  # until its end is known, the gap counts from its start
        return [PlayPrompt(media, self._playback)]

    def _drop_lost_playback(self) -> list[Action]:
        # A tick comes an interval after the last announcement began, far longer than one
        # lasts: one still "playing" lost its PlaybackFinished (a WebSocket outage).
        if self._playback is None:
            return []
        log.warning("announcement %s never reported its end; moving on", self._playback)
        playback, self._playback = self._playback, None
        return [StopPrompt(playback)]

    def _schedule(self, now: datetime, delay_s: float) -> list[Action]:
        # A fresh key per timer: a late expiry of an old one can never be taken for this one.
        self._timers_made += 1
        self._timer = (*self._key, str(self._timers_made))
        self.next_tick_at = now + timedelta(seconds=delay_s)
        return [StartTimer(self._timer, delay_s)]
