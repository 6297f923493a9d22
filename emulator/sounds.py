"""How long a piece of media plays, so playbacks finish when a real Asterisk's would.

Measured from the recorded traces (PlaybackStarted -> PlaybackFinished on a real Asterisk 22
with Debian's ``asterisk-core-sounds-en-wav``): ``hello-world`` 1.40 s, ``queue-thankyou``
1.59 s, ``queue-youarenext`` 5.36 s, ``queue-callswaiting`` 2.50 s, ``beep`` 0.42 s,
``queue-thereare`` 2.74 s (``said_add_channel.jsonl``; its Debian file is 2.26 s long, the
recording is what counts); the ``digits/*`` files and ``vm-and`` are the lengths of those
Debian files (what ``playback_stop.jsonl`` and ``said_add_channel.jsonl`` show them to play
for), and ``number:<n>`` plays the files ``say.c`` says ``n`` with in English
(:mod:`ivr.say`).  The other entries are estimates of the same
files; a sound not listed plays for ``default_s`` (configurable), which is a deliberate
difference: Asterisk would fail a missing file, and the demo plays prompts the emulator has no
file for.

:func:`media_plan` also says what ``DELETE /playbacks/{id}`` can do to an item: Asterisk says
``number:``, ``digits:`` and ``characters:`` file by file (``say.c``) and can only cut the file
being said, not the item (``res_stasis_playback.c``, ``playback_stop``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ivr.say import MAX_SAID, number_files

MEASURED_SOUNDS: dict[str, float] = {
    "hello-world": 1.40,
    "queue-thankyou": 1.59,
    "queue-youarenext": 5.36,
    "queue-callswaiting": 2.50,
    "beep": 0.42,
    "queue-thereare": 2.74,
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
    "queue-less-than": 0.8,
    "queue-reporthold": 1.5,
    "queue-quantity1": 1.0,
    "queue-quantity2": 1.2,
    "queue-estimated-wait": 1.5,
    "conf-now-recording": 1.7,
    "tt-monkeys": 11.0,
    "tt-weasels": 5.5,
    "silence/1": 1.0,
}

#: The Debian ``digits/N.wav`` files, frames / 8000 Hz.
DIGIT_SOUNDS: dict[str, float] = {
    "digits/0": 0.875,
    "digits/1": 0.911,
    "digits/2": 0.747,
    "digits/3": 0.838,
    "digits/4": 0.802,
    "digits/5": 0.820,
    "digits/6": 0.881,
    "digits/7": 0.820,
    "digits/8": 0.693,
    "digits/9": 0.859,
    "digits/10": 0.656,
    "digits/11": 0.966,
    "digits/12": 0.802,
    "digits/13": 0.929,
    "digits/14": 1.057,
    "digits/15": 1.148,
    "digits/16": 1.185,
    "digits/17": 1.203,
    "digits/18": 1.096,
    "digits/19": 1.239,
    "digits/20": 0.929,
    "digits/30": 0.902,
    "digits/40": 0.948,
    "digits/50": 1.225,
    "digits/60": 1.020,
    "digits/70": 1.039,
    "digits/80": 0.838,
    "digits/90": 1.039,
    "digits/hundred": 0.849,
    "digits/thousand": 0.893,
    "digits/oclock": 0.880,
    "digits/oh": 0.582,
    "vm-and": 0.675,
}

#: Seconds per spoken file of ``number:`` and ``characters:`` media, and of a ``digits:``
#: character without a known ``digits/<c>`` file.
SAY_UNIT_S = 0.55


@dataclass(frozen=True, slots=True)
class SoundLibrary:
    """Known sounds and their lengths; the source of ``GET /sounds`` too."""

    durations: Mapping[str, float] = field(
        default_factory=lambda: {**ESTIMATED_SOUNDS, **DIGIT_SOUNDS, **MEASURED_SOUNDS}
    )
    default_s: float = 2.0
    language: str = "en"
    # As a stock Asterisk, which has no file for a sound a deployment records (the survey's
    # sound:acd-survey-*): a sound not listed is missing and its item fails at once.  Off, any
    # sound plays for ``default_s`` (the demo's prompts need not exist).
    missing_fail: bool = False

    def with_extra(self, extra: Mapping[str, float]) -> SoundLibrary:
        return SoundLibrary(
            {**self.durations, **extra}, self.default_s, self.language, self.missing_fail
        )

    def knows(self, name: str) -> bool:
        return name in self.durations

    def sound_s(self, name: str) -> float:
        return self.durations.get(name, self.default_s)

    def sound_json(self, name: str) -> dict[str, object]:
        return {"id": name, "formats": [{"language": self.language, "format": "slin"}]}


@dataclass(frozen=True, slots=True)
class MediaPlan:
    """How one media URI of a playback plays."""

    files: tuple[float, ...] | None
    """Seconds per file it plays, in order; ``None``: it plays until stopped (a tone)."""
    controllable: bool
    """Asterisk can stop it (``sound:``, ``recording:``, ``tone:``); a said item is not."""


def media_plan(uri: str, sounds: SoundLibrary, recordings: Mapping[str, float]) -> MediaPlan:
    """The files ``uri`` plays and whether a stop can end it.

    Raises :class:`ValueError` for media Asterisk would fail to play (an unknown scheme, a
    missing recording, a number that does not parse).
    """
    scheme, _, rest = uri.partition(":")
    if not rest:
        raise ValueError(f"unsupported media URI {uri!r}")
    handler = _PLAN_BY_SCHEME.get(scheme)
    if handler is None:
        raise ValueError(f"unsupported media scheme {scheme!r}")
    return handler(rest, sounds, recordings)


class MissingSound(ValueError):
    """A ``sound:`` whose file does not exist (``SoundLibrary.missing_fail``)."""


def _sound(rest: str, sounds: SoundLibrary, _rec: Mapping[str, float]) -> MediaPlan:
    if rest.startswith("silence/") and rest[len("silence/") :].isdigit():
        return MediaPlan((float(rest[len("silence/") :]),), controllable=True)
    if sounds.missing_fail and not sounds.knows(rest):
        raise MissingSound(f"sound {rest!r} does not exist")
    return MediaPlan((sounds.sound_s(rest),), controllable=True)


def _recording(rest: str, _sounds: SoundLibrary, rec: Mapping[str, float]) -> MediaPlan:
    if rest not in rec:
        raise ValueError(f"recording {rest!r} does not exist")
    return MediaPlan((rec[rest],), controllable=True)


def _number(rest: str, sounds: SoundLibrary, _rec: Mapping[str, float]) -> MediaPlan:
    value = int(rest)  # ValueError for a bad number, as Asterisk fails the playback
    if not 0 <= value <= MAX_SAID:  # beyond what ivr.say knows: a file per digit
        return MediaPlan((SAY_UNIT_S,) * max(1, len(str(abs(value)))), controllable=False)
    files = number_files(value, sounds.language)
    return MediaPlan(tuple(sounds.durations.get(f, SAY_UNIT_S) for f in files), controllable=False)


def _digits(rest: str, sounds: SoundLibrary, _rec: Mapping[str, float]) -> MediaPlan:
    files = tuple(sounds.durations.get(f"digits/{c}", SAY_UNIT_S) for c in rest)
    return MediaPlan(files, controllable=False)


def _characters(rest: str, _sounds: SoundLibrary, _rec: Mapping[str, float]) -> MediaPlan:
    return MediaPlan((SAY_UNIT_S,) * len(rest), controllable=False)


def _tone(_rest: str, _sounds: SoundLibrary, _rec: Mapping[str, float]) -> MediaPlan:
    return MediaPlan(None, controllable=True)


_PLAN_BY_SCHEME: dict[str, Callable[[str, SoundLibrary, Mapping[str, float]], MediaPlan]] = {
    "sound": _sound,
    "recording": _recording,
    "number": _number,
    "digits": _digits,
    "characters": _characters,
    "tone": _tone,
}
