"""Pure builders of ARI media lists for what the IVR says.

Every function returns a tuple of Asterisk media URIs (``sound:<name>``) that one ``Play``
sends as a comma-separated list, so Asterisk plays them in sequence and a single playback id
covers the whole sentence (one ``DELETE /playbacks/{id}`` cuts it).

Sound names come from a :class:`SoundNames` table so a deployment can swap in its own
recordings.  The defaults are stock Asterisk sounds wherever one exists (the names
``app_queue`` uses for its announcements, and the ``digits/*`` files ``say.c`` uses for dates
and times; listed in ``ivr/README.md``), and otherwise an ``acd-*`` name that a deployment
records in Dutch, like the closed messages of the line settings: no stock sound says "we are
open again".  Numbers are said with stock ``digits/*`` files by the rules of the line's
language (:mod:`ivr.say`), never as ARI's ``number:`` media, which cannot be stopped: an agent
who answers mid-number would wait for the number to end before the caller hears them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.say import MAX_SAID, rules_for, say_number

BRUSSELS = ZoneInfo("Europe/Brussels")

LESS_THAN_A_MINUTE = 0
"""What :func:`spoken_wait_minutes` returns for a wait under a minute: never say "0 minutes"."""


def _names(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(count))


@dataclass(frozen=True, slots=True)
class SoundNames:
    """Which sound file says what (names without the ``sound:`` scheme).

    An empty string leaves that piece out, as an empty ``queue-thankyou=`` does in
    ``queues.conf``.  The defaults are for Dutch (``nl``): a 24-hour clock said as
    "negen uur dertig" with ``digits/nl-uur``, as ``say.c`` does for ``nl``.
    """

    # Position and hold time, with the defaults of app_queue (queues.conf.sample).
    you_are_next: str = "queue-youarenext"  # "You are now first in line."
    there_are: str = "queue-thereare"  # "There are"
    calls_waiting: str = "queue-callswaiting"  # "calls waiting."
    more_than: str = "queue-quantity1"  # "Currently there are more than"
    callers_waiting: str = "queue-quantity2"  # "callers waiting to speak with a representative"
    hold_time: str = "queue-holdtime"  # "The current estimated hold time is"
    less_than: str = "queue-less-than"  # "less than"
    minute: str = "queue-minute"  # "minute."
    minutes: str = "queue-minutes"  # "minutes."
    thank_you: str = "queue-thankyou"  # "Thank you for your patience."
    # Dates and times, as say.c says them: day-0 is Sunday (struct tm's tm_wday).
    weekdays: tuple[str, ...] = _names("digits/day-", 7)
    months: tuple[str, ...] = _names("digits/mon-", 12)
    today: str = "digits/today"
    tomorrow: str = "digits/tomorrow"
    at: str = "digits/at"  # "at" ("om")
    hour_word: str = "digits/nl-uur"  # said after the hour: "negen uur"
    oclock: str = ""  # said for a whole hour instead of minutes ("nine o'clock")
    minute_oh: str = ""  # said before minutes 1-9 ("nine oh five")
    # Whose say.c rules numbers are said by (ivr.say.LANGUAGES); French says hours and minutes
    # in the feminine ("une heure"), as ast_say_time_fr does.
    numbers: str = "nl"
    feminine_time: bool = False
    # Recorded per deployment, like the closed messages themselves: no stock sound says it.
    open_again: str = "acd-open-again"  # "We are open again", followed by day and time

    def __post_init__(self) -> None:
        if len(self.weekdays) != 7 or len(self.months) != 12:
            raise ValueError("SoundNames needs 7 weekdays (Sunday first) and 12 months")
        rules_for(self.numbers)  # an unknown language fails here, not mid-call


DUTCH = SoundNames()
ENGLISH = SoundNames(hour_word="", oclock="digits/oclock", minute_oh="digits/oh", numbers="en")
# ast_say_time_fr: "neuf heures trente", with the "heure(s)" file named digits/oclock.  say.c
# says hours and minutes in the feminine ("une heure"), but the stock French pack has no
# digits/1F: set feminine_time once a deployment has recorded it.
FRENCH = SoundNames(hour_word="digits/oclock", numbers="fr")


def sounds_for(language: str) -> SoundNames:
    """The default sounds for a line in ``language``: numbers by its say.c rules (``en_GB``
    says "one hundred and one"), the clock as say.c says it.  Raises
    :class:`ivr.say.UnsupportedLanguage` for a language we cannot say numbers in."""
    rules = rules_for(language)
    if rules == "nl":
        return DUTCH
    if rules == "fr":
        return FRENCH
    return replace(ENGLISH, numbers=rules)


def _sounds(*names: str) -> tuple[str, ...]:
    return tuple(f"sound:{name}" for name in names if name)


def _number(n: int, sounds: SoundNames, time: bool = False) -> tuple[str, ...]:
    return say_number(n, sounds.numbers, feminine=time and sounds.feminine_time)


# ---------------------------------------------------------------------- position and wait


def position_media(
    position: int, sounds: SoundNames = DUTCH, limit: int | None = None
) -> tuple[str, ...]:
    """ "You are next" for position 1, else "there are N calls waiting" (N counts the caller,
    as app_queue says it); beyond ``limit`` "there are more than <limit> callers waiting".
    ``limit`` is at most :data:`ivr.say.MAX_SAID`, and is that without one."""
    if position < 1:
        raise ValueError(f"a queue position starts at 1, not {position}")
    if limit is not None and not 1 <= limit <= MAX_SAID:
        raise ValueError(f"a position limit is 1..{MAX_SAID}, not {limit}")
    if position == 1:
        return _sounds(sounds.you_are_next)
    limit = MAX_SAID if limit is None else limit
    if position > limit:
        return (
            *_sounds(sounds.more_than),
            *_number(limit, sounds),
            *_sounds(sounds.callers_waiting),
        )
    return (*_sounds(sounds.there_are), *_number(position, sounds), *_sounds(sounds.calls_waiting))


def _round_half_up(x: float) -> int:
    # round() rounds halves to even: 2.5 min would become "2", a person says "3".
    return math.floor(x + 0.5)


def spoken_wait_minutes(wait_s: float) -> int:
    """A wait rounded as a person says it: under a minute is :data:`LESS_THAN_A_MINUTE`, up to
    ten minutes the nearest minute (never 0), beyond that the nearest five minutes."""
    minutes = max(0.0, wait_s) / 60.0
    if minutes < 1.0:
        return LESS_THAN_A_MINUTE
    if minutes <= 10.0:
        return max(1, _round_half_up(minutes))
    return 5 * _round_half_up(minutes / 5.0)


def wait_media(wait_s: float, sounds: SoundNames = DUTCH) -> tuple[str, ...]:
    """ "The estimated hold time is M minutes" (or "less than 1 minute"); a wait beyond
    :data:`ivr.say.MAX_SAID` minutes is said as that many."""
    minutes = min(spoken_wait_minutes(wait_s), MAX_SAID)
    head = _sounds(sounds.hold_time)
    if minutes == LESS_THAN_A_MINUTE:
        return (*head, *_sounds(sounds.less_than), *_number(1, sounds), *_sounds(sounds.minute))
    unit = sounds.minute if minutes == 1 else sounds.minutes
    return (*head, *_number(minutes, sounds), *_sounds(unit))


def announcement_media(
    position: int | None,
    wait_s: float | None,
    sounds: SoundNames = DUTCH,
    position_limit: int | None = None,
) -> tuple[str, ...]:
    """Position and/or wait, then "thank you for your patience"; empty when there is nothing
    to say."""
    media: tuple[str, ...] = ()
    if position is not None:
        media += position_media(position, sounds, position_limit)
    if wait_s is not None:
        media += wait_media(wait_s, sounds)
    return (*media, *_sounds(sounds.thank_you)) if media else ()


# ---------------------------------------------------------------------- closed


def _day_media(opening: datetime, now: datetime, sounds: SoundNames) -> tuple[str, ...]:
    days_ahead = (opening.date() - now.date()).days
    if days_ahead == 0 and sounds.today:
        return _sounds(sounds.today)
    if days_ahead == 1 and sounds.tomorrow:
        return _sounds(sounds.tomorrow)
    weekday = _sounds(sounds.weekdays[opening.isoweekday() % 7])  # Sunday is day-0
    if days_ahead < 7:
        return weekday
    # A week or more away (a long closure): the weekday alone would be ambiguous.
    return (*weekday, *_number(opening.day, sounds), *_sounds(sounds.months[opening.month - 1]))


def _time_media(opening: datetime, sounds: SoundNames) -> tuple[str, ...]:
    media = (*_number(opening.hour, sounds, time=True), *_sounds(sounds.hour_word))
    if opening.minute == 0:
        return (*media, *_sounds(sounds.oclock))
    if opening.minute < 10:
        media += _sounds(sounds.minute_oh)
    return (*media, *_number(opening.minute, sounds, time=True))


def next_opening_media(
    opening: datetime, now: datetime, sounds: SoundNames = DUTCH, tz: ZoneInfo = BRUSSELS
) -> tuple[str, ...]:
    """ "We are open again <today | tomorrow | on Monday | on Monday 6 January> at 9:30".

    Both datetimes must be timezone-aware; they are said in ``tz``, the line's local time.
    Empty when the deployment has no "open again" recording: the prompts do not allow it.
    """
    if not sounds.open_again:
        return ()
    if opening.tzinfo is None or now.tzinfo is None:
        raise ValueError("next_opening_media needs timezone-aware datetimes")
    local_opening, local_now = opening.astimezone(tz), now.astimezone(tz)
    return (
        *_sounds(sounds.open_again),
        *_day_media(local_opening, local_now, sounds),
        *_sounds(sounds.at),
        *_time_media(local_opening, sounds),
    )


def closed_media(
    closed_prompt: tuple[str, ...],
    now: datetime,
    next_opening: datetime | None = None,
    sounds: SoundNames = DUTCH,
    tz: ZoneInfo = BRUSSELS,
) -> tuple[str, ...]:
    """The line's closed message for the reason it is closed (``closed_prompts.for_reason``
    in the settings: holiday, weekend, closure, outside hours), then the next opening when the
    calendar knows one (``Status.next_opening``)."""
    if next_opening is None:
        return closed_prompt
    return (*closed_prompt, *next_opening_media(next_opening, now, sounds, tz))
