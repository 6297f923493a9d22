"""How long a piece of media plays, so playbacks finish when a real Asterisk's would.

Measured from the recorded traces (PlaybackStarted -> PlaybackFinished on a real Asterisk 22
with Debian's ``asterisk-core-sounds-en-wav``): ``hello-world`` 1.40 s, ``queue-thankyou``
1.59 s, ``queue-youarenext`` 5.36 s, ``queue-callswaiting`` 2.50 s, ``beep`` 0.42 s.  The other
entries are estimates of the same files; a sound not listed plays for ``default_s``
(configurable), which is a deliberate difference: Asterisk would fail a missing file, and the
demo plays prompts the emulator has no file for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MEASURED_SOUNDS: dict[str, float] = {
    "hello-world": 1.40,
    "queue-thankyou": 1.59,
    "queue-youarenext": 5.36,
    "queue-callswaiting": 2.50,
    "beep": 0.42,
}

ESTIMATED_SOUNDS: dict[str, float] = {
    "goodbye": 0.9,
    "vm-goodbye": 0.9,
    "auth-thankyou": 0.8,
    "pls-hold-while-try": 2.0,
    "queue-periodic-announce": 3.6,
    "queue-holdtime": 1.6,
    "queue-minutes": 0.6,
    "queue-seconds": 0.6,
    "queue-thereare": 1.0,
    "queue-less-than": 0.8,
    "queue-reporthold": 1.5,
    "queue-quantity1": 1.0,
    "queue-quantity2": 1.2,
    "queue-estimated-wait": 1.5,
    "conf-now-recording": 1.7,
    "tt-monkeys": 11.0,
    "tt-weasels": 5.5,
    "silence/1": 1.0,
    **{f"digits/{d}": 0.5 for d in range(10)},
}

#: Seconds per spoken unit for ``number:``, ``digits:`` and ``characters:`` media.
SAY_UNIT_S = 0.55


@dataclass(frozen=True, slots=True)
class SoundLibrary:
    """Known sounds and their lengths; the source of ``GET /sounds`` too."""

    durations: Mapping[str, float] = field(
        default_factory=lambda: {**ESTIMATED_SOUNDS, **MEASURED_SOUNDS}
    )
    default_s: float = 2.0
    language: str = "en"

    def with_extra(self, extra: Mapping[str, float]) -> SoundLibrary:
        return SoundLibrary({**self.durations, **extra}, self.default_s, self.language)

    def knows(self, name: str) -> bool:
        return name in self.durations

    def sound_s(self, name: str) -> float:
        return self.durations.get(name, self.default_s)

    def sound_json(self, name: str) -> dict[str, object]:
        return {"id": name, "formats": [{"language": self.language, "format": "slin"}]}


def media_duration(uri: str, sounds: SoundLibrary, recordings: Mapping[str, float]) -> float | None:
    """Seconds the media plays for; ``None`` means it plays until stopped (tones).

    Raises :class:`ValueError` for media Asterisk would fail to play (an unknown scheme, a
    missing recording, a number that does not parse).
    """
    scheme, _, rest = uri.partition(":")
    if not rest:
        raise ValueError(f"unsupported media URI {uri!r}")
    handler = _DURATION_BY_SCHEME.get(scheme)
    if handler is None:
        raise ValueError(f"unsupported media scheme {scheme!r}")
    return handler(rest, sounds, recordings)


def _sound(rest: str, sounds: SoundLibrary, _rec: Mapping[str, float]) -> float | None:
    if rest.startswith("silence/") and rest[len("silence/") :].isdigit():
        return float(rest[len("silence/") :])
    return sounds.sound_s(rest)


def _recording(rest: str, _sounds: SoundLibrary, rec: Mapping[str, float]) -> float | None:
    if rest not in rec:
        raise ValueError(f"recording {rest!r} does not exist")
    return rec[rest]


def _number(rest: str, _sounds: SoundLibrary, _rec: Mapping[str, float]) -> float | None:
    value = int(rest)  # ValueError for a bad number, as Asterisk fails the playback
    return SAY_UNIT_S * max(1, len(str(abs(value))))


def _spelled(rest: str, _sounds: SoundLibrary, _rec: Mapping[str, float]) -> float | None:
    return SAY_UNIT_S * max(1, len(rest))


def _tone(_rest: str, _sounds: SoundLibrary, _rec: Mapping[str, float]) -> float | None:
    return None


_DURATION_BY_SCHEME = {
    "sound": _sound,
    "recording": _recording,
    "number": _number,
    "digits": _spelled,
    "characters": _spelled,
    "tone": _tone,
}
