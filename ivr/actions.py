"""What the IVR flows ask their host to do.

The flows in ``ivr`` never perform I/O and never see the engine: they return these small
values, and the engine core translates them into its own commands (``Play``, ``StartTimer``,
...).  Keeping them separate lets the flows be tested alone and keeps routing out of ``ivr``:
a menu ends with :class:`Done` naming a line code, and what happens next is the engine's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TimerKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """Play ``media`` (ARI media URIs, played in sequence) to the caller as ``playback_id``."""

    media: tuple[str, ...]
    playback_id: str


@dataclass(frozen=True, slots=True)
class StopPrompt:
    """Stop a playback (``DELETE /playbacks/{id}``): Asterisk never stops one by itself on a
    digit.  A 404 means it had already finished, which is fine."""

    playback_id: str


@dataclass(frozen=True, slots=True)
class StartTimer:
    key: TimerKey
    delay_s: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: TimerKey


class DoneReason(StrEnum):
    CHOSEN = "chosen"  # the caller pressed a valid digit
    INVALID_FALLBACK = "invalid_fallback"  # too many tries, the last one an invalid digit
    TIMEOUT_FALLBACK = "timeout_fallback"  # too many tries, the last one no digit at all


@dataclass(frozen=True, slots=True)
class Done:
    """The menu is over: route the caller to ``line_code``."""

    line_code: str
    reason: DoneReason
    digit: str | None = None


Action = PlayPrompt | StopPrompt | StartTimer | CancelTimer | Done
