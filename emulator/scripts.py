"""What the far ends do: endpoint behaviours for outbound legs, caller scripts for inbound calls.

Both are plain frozen data, built in Python or from YAML-friendly dicts (``from_dict``), so
tests, the demo and the HTTP control API describe phones the same way.  Times are seconds of
the event loop's clock (virtual under a :class:`~foundation.clock.VirtualTimeLoop`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: SIP timer B (64 x T1 = 32 s): how long an INVITE to a silent peer lasts before it fails.
SIP_TIMER_B_S = 32.0


class Mode(StrEnum):
    ANSWER = "answer"  # 180 Ringing, then 200 OK after ``ring_s``
    RING = "ring"  # 180 Ringing forever
    BUSY = "busy"  # 180 Ringing, then 486 Busy Here after ``ring_s``
    UNREACHABLE = "unreachable"  # no answer at all; fails after SIP timer B


@dataclass(frozen=True, slots=True)
class EndpointBehaviour:
    """How a SIP endpoint answers an INVITE.  Use the class methods to build one."""

    mode: Mode = Mode.ANSWER
    ring_s: float = 1.0
    hangup_after_s: float | None = None

    @classmethod
    def answer(cls, after_s: float = 1.0, hangup_after_s: float | None = None) -> EndpointBehaviour:
        return cls(Mode.ANSWER, after_s, hangup_after_s)

    @classmethod
    def ring_forever(cls) -> EndpointBehaviour:
        return cls(Mode.RING, 0.0)

    @classmethod
    def busy(cls, after_s: float = 0.3) -> EndpointBehaviour:
        return cls(Mode.BUSY, after_s)

    @classmethod
    def unreachable(cls) -> EndpointBehaviour:
        return cls(Mode.UNREACHABLE, SIP_TIMER_B_S)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode.value, "ring_s": self.ring_s}
        if self.hangup_after_s is not None:
            out["hangup_after_s"] = self.hangup_after_s
        return out


@dataclass(frozen=True, slots=True)
class RandomBehaviour:
    """Picks a behaviour per call with the PBX's seeded generator (the demo's agents).

    ``weights`` maps a mode to its relative weight; ring and talk times are uniform in their
    ranges.  ``talk_s`` of ``None`` means the endpoint never hangs up by itself.
    """

    weights: Mapping[Mode, float] = field(
        default_factory=lambda: {Mode.ANSWER: 0.8, Mode.BUSY: 0.1, Mode.RING: 0.1}
    )
    ring_s: tuple[float, float] = (1.0, 8.0)
    talk_s: tuple[float, float] | None = None

    def pick(self, rng: random.Random) -> EndpointBehaviour:
        modes = list(self.weights)
        mode = rng.choices(modes, weights=[self.weights[m] for m in modes])[0]
        ring = rng.uniform(*self.ring_s)
        if mode is Mode.BUSY:
            return EndpointBehaviour.busy(ring)
        if mode is Mode.RING:
            return EndpointBehaviour.ring_forever()
        if mode is Mode.UNREACHABLE:
            return EndpointBehaviour.unreachable()
        talk = rng.uniform(*self.talk_s) if self.talk_s else None
        return EndpointBehaviour.answer(ring, talk)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mode": "random",
            "weights": {m.value: w for m, w in self.weights.items()},
            "ring_s": list(self.ring_s),
        }
        if self.talk_s is not None:
            out["talk_s"] = list(self.talk_s)
        return out


Behaviour = EndpointBehaviour | RandomBehaviour


def behaviour_from_dict(data: Mapping[str, Any]) -> Behaviour:
    """Build a behaviour from ``{"mode": "answer", "ring_s": 1, "hangup_after_s": 3}`` etc.

    Raises :class:`ValueError` naming the bad key.
    """
    mode = str(data.get("mode", "answer"))
    if mode == "random":
        return _random_from_dict(data)
    try:
        parsed = Mode(mode)
    except ValueError:
        raise ValueError(f"mode: unknown behaviour {mode!r}") from None
    defaults = {Mode.ANSWER: 1.0, Mode.RING: 0.0, Mode.BUSY: 0.3, Mode.UNREACHABLE: SIP_TIMER_B_S}
    ring_s = _seconds(data, "ring_s", defaults[parsed])
    return EndpointBehaviour(parsed, ring_s, _optional_seconds(data, "hangup_after_s"))


def _random_from_dict(data: Mapping[str, Any]) -> RandomBehaviour:
    raw_weights = data.get("weights", {"answer": 0.8, "busy": 0.1, "ring": 0.1})
    if not isinstance(raw_weights, Mapping):
        raise ValueError("weights: expected a mapping of mode to weight")
    try:
        weights = {Mode(str(k)): float(v) for k, v in raw_weights.items()}
    except ValueError as exc:
        raise ValueError(f"weights: {exc}") from None
    return RandomBehaviour(
        weights, _range(data, "ring_s", (1.0, 8.0)), _range(data, "talk_s", None)
    )


def _seconds(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: expected seconds, got {value!r}") from None
    if seconds < 0:
        raise ValueError(f"{key}: must not be negative")
    return seconds


def _range(data: Mapping[str, Any], key: str, default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{key}: expected [low, high] seconds")
    low, high = (float(v) for v in value)
    if not 0 <= low <= high:
        raise ValueError(f"{key}: expected 0 <= low <= high")
    return (low, high)


@dataclass(frozen=True, slots=True)
class DtmfPress:
    """One key press: ``at_s`` seconds after the call is answered."""

    at_s: float
    digit: str
    duration_ms: int = 280


@dataclass(frozen=True, slots=True)
class SurveyAnswers:
    """How a caller answers a satisfaction survey: when a playback ending in one of
    ``questions`` (media URIs, in the survey's order) has played out, the caller keys the score
    of that question ``answer_after_s`` later.  A 10 is keyed as ``ten_as`` (``"10"``: ``1``
    then ``0``, or ``"*"``).  ``scores`` may be shorter than ``questions``: on hearing a
    question without a score the caller hangs up (half-way through the survey).  A question
    played again (after a wrong key or a timeout) gets the same score again."""

    questions: tuple[str, ...]
    scores: tuple[int, ...]
    ten_as: str = "10"
    answer_after_s: float = 1.5

    def __post_init__(self) -> None:
        for i, score in enumerate(self.scores):
            if not 1 <= score <= 10:
                raise ValueError(f"survey.scores[{i}]: {score} is not a score from 1 to 10")
        if self.ten_as not in ("10", "*"):
            raise ValueError(f"survey.ten_as: expected '10' or '*', got {self.ten_as!r}")
        if self.answer_after_s < 0:
            raise ValueError("survey.answer_after_s: must not be negative")

    def keys_for(self, media: Sequence[str]) -> str | None:
        """The digits keyed after a playback of ``media``: ``""`` to hang up instead, ``None``
        when the playback is no question (an intro, the thanks, any other prompt)."""
        asked = [self.questions.index(m) for m in media if m in self.questions]
        if not asked:
            return None
        position = asked[-1]
        if position >= len(self.scores):
            return ""
        score = self.scores[position]
        return self.ten_as if score == 10 else str(score)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SurveyAnswers:
        try:
            questions = tuple(str(q) for q in data["questions"])
            scores = tuple(int(s) for s in data.get("scores", ()))
        except KeyError:
            raise ValueError("survey.questions: required") from None
        except (TypeError, ValueError):
            raise ValueError("survey: questions and scores must be lists") from None
        return cls(
            questions,
            scores,
            str(data.get("ten_as", "10")),
            _seconds(data, "answer_after_s", 1.5),
        )


@dataclass(frozen=True, slots=True)
class CallerScript:
    """What an inbound caller does once the call is placed.

    - ``dtmf``: key presses, timed from the answer.
    - ``hangup_after_s``: hang up this long after the call was placed, whatever happens.
    - ``patience_s``: hang up if not bridged with another party this long after the answer.
    - ``talk_s``: hang up this long after first being bridged with another party.
    - ``survey``: how the caller answers a survey after the conversation.
    """

    dtmf: tuple[DtmfPress, ...] = ()
    hangup_after_s: float | None = None
    patience_s: float | None = None
    talk_s: float | None = None
    survey: SurveyAnswers | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallerScript:
        presses = []
        for i, raw in enumerate(data.get("dtmf", ())):
            if isinstance(raw, Mapping):
                at, digits = raw.get("at_s"), raw.get("digits", raw.get("digit"))
                duration = int(raw.get("duration_ms", 280))
            elif isinstance(raw, Sequence) and len(raw) == 2:
                (at, digits), duration = raw, 280
            else:
                raise ValueError(f"dtmf[{i}]: expected [at_s, digits] or a mapping")
            presses.extend(_presses(float(_require(at, f"dtmf[{i}].at_s")), str(digits), duration))
        return cls(
            tuple(presses),
            _optional_seconds(data, "hangup_after_s"),
            _optional_seconds(data, "patience_s"),
            _optional_seconds(data, "talk_s"),
            SurveyAnswers.from_dict(data["survey"]) if data.get("survey") is not None else None,
        )


def _presses(at_s: float, digits: str, duration_ms: int) -> list[DtmfPress]:
    """A string of digits is pressed one after another, 0.6 s apart (like the sipp scenarios)."""
    for digit in digits:
        if digit not in "0123456789*#ABCD":
            raise ValueError(f"dtmf: {digit!r} is not a DTMF digit")
    return [DtmfPress(at_s + 0.6 * i, d, duration_ms) for i, d in enumerate(digits)]


def _require(value: Any, key: str) -> Any:
    if value is None:
        raise ValueError(f"{key}: required")
    return value


def _optional_seconds(data: Mapping[str, Any], key: str) -> float | None:
    return _seconds(data, key, 0) if data.get(key) is not None else None
