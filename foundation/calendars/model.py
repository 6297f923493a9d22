"""The calendar as plain frozen data: a weekly schedule of time slots, public holidays, closures,
exceptional openings and per-date messages, all in one time zone.

Everything here is wall-clock time in the calendar's own zone (``Slot`` times, ``Closure``
bounds, ``Opening`` dates): that is how operators write opening hours, and it keeps "09:00" at
09:00 across daylight-saving changes.  Turning wall-clock time into instants is the job of
:mod:`foundation.calendars.rules`, the only place that compares instants.

Each class checks its own invariants on construction and raises :class:`ValueError`, so a
calendar built in code is as sound as one loaded from ``calendars.yaml`` (where the settings
report the same mistakes as ``file: key: reason``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order

# An end of 00:00 means midnight at the end of the day ("24:00"): a slot never ends before it
# starts, so the value is free for it, and a whole day is simply 00:00-24:00.
END_OF_DAY = time(0)

_SLOT = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """Open from ``start`` up to, not including, ``end`` (wall-clock time; ``end`` 00:00 is
    24:00)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("slot times are wall-clock times without a time zone")
        if self.end_offset <= self.start_offset:
            raise ValueError(f"{self} does not end after it starts")

    @classmethod
    def parse(cls, text: str) -> Slot:
        """``"09:00-19:00"`` -> ``Slot(09:00, 19:00)``; ``"00:00-24:00"`` is the whole day."""
        match = _SLOT.fullmatch(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a time slot (HH:MM-HH:MM)")
        start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
        if start_h > 23 or start_m > 59:
            raise ValueError(f"{text!r} does not start at a time of day")
        if end_h > 24 or end_m > 59 or (end_h == 24 and end_m):
            raise ValueError(f"{text!r} does not end at a time of day")
        if (end_h, end_m) <= (start_h, start_m):
            raise ValueError(f"{text!r} does not end after it starts")
        return cls(time(start_h, start_m), END_OF_DAY if end_h == 24 else time(end_h, end_m))

    @property
    def start_offset(self) -> timedelta:
        """Wall-clock time since midnight (not elapsed time: days with a DST change differ)."""
        return _offset(self.start)

    @property
    def end_offset(self) -> timedelta:
        return timedelta(hours=24) if self.until_midnight else _offset(self.end)

    @property
    def until_midnight(self) -> bool:
        return self.end == END_OF_DAY

    def overlaps(self, other: Slot) -> bool:
        # Slots that only touch (09:00-12:00, 12:00-14:00) do not overlap: they are one stretch.
        return self.start_offset < other.end_offset and other.start_offset < self.end_offset

    def __str__(self) -> str:
        end = "24:00" if self.until_midnight else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def check_slots(slots: tuple[Slot, ...]) -> None:
    """Refuse overlapping slots in one day: they are almost always a typo."""
    for index, slot in enumerate(slots):
        for earlier in slots[:index]:
            if slot.overlaps(earlier):
                raise ValueError(f"{slot} overlaps {earlier}")


@dataclass(frozen=True, slots=True)
class PublicHolidays:
    """Public holidays of a country (and optionally a subdivision) from the ``holidays``
    package; names in ``language``, by default the country's own (Dutch for Belgium)."""

    country: str = "BE"
    subdiv: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        try:
            known = holidays.country_holidays(self.country)
        except NotImplementedError:
            raise ValueError(f"the holidays package has no holidays for {self.country!r}") from None
        subdivisions = known.subdivisions
        aliases = getattr(known, "subdivisions_aliases", {})
        if self.subdiv is not None and self.subdiv not in (*subdivisions, *aliases):
            listed = ", ".join(subdivisions[:12]) + (", ..." if len(subdivisions) > 12 else "")
            raise ValueError(
                f"{self.subdiv!r} is not a subdivision of {self.country} ({listed or 'none'})"
            )
        # An unknown language silently gives English names; a typo should not go unnoticed.
        languages = known.supported_languages
        if self.language is not None and self.language not in languages:
            raise ValueError(
                f"{self.language!r} is not a language of {self.country}'s holidays"
                f" ({', '.join(sorted(languages))})"
            )
        if self.language is None:
            # Left open, the package may follow the machine's locale; pin the country's own.
            object.__setattr__(self, "language", known.default_language)

    def name_on(self, day: date) -> str | None:
        return _holidays(self.country, self.subdiv, self.language, day.year).get(day)


@lru_cache(maxsize=64)
def _holidays(
    country: str, subdiv: str | None, language: str | None, year: int
) -> Mapping[date, str]:
    # The package computes holidays lazily per year and mutates itself as it does; a read-only
    # mapping per year keeps lookups pure and cheap (every incoming call reads it).
    found = holidays.country_holidays(country, subdiv=subdiv, years=year, language=language)
    return MappingProxyType(dict(found.items()))


@dataclass(frozen=True, slots=True)
class Closure:
    """Closed from ``start`` up to ``end`` (wall-clock time, no time zone): a whole date, a
    bridge day, an afternoon, or a stretch across midnight and weekends."""

    start: datetime
    end: datetime
    note: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("closure bounds are wall-clock times without a time zone")
        if self.end <= self.start:
            raise ValueError(f"closure {self.note!r} ends before it starts")

    @classmethod
    def on(cls, day: date, note: str = "") -> Closure:
        """Closed all of ``day``."""
        start = datetime.combine(day, time(0))
        return cls(start, start + timedelta(days=1), note)

    def covers_day(self, day: date) -> bool:
        """Closed from ``day``'s first moment to its last."""
        midnight = datetime.combine(day, time(0))
        return self.start <= midnight and self.end >= midnight + timedelta(days=1)

    def touches_day(self, day: date) -> bool:
        """Closed for at least part of ``day``."""
        midnight = datetime.combine(day, time(0))
        return self.start < midnight + timedelta(days=1) and self.end > midnight


@dataclass(frozen=True, slots=True)
class Opening:
    """An exceptional schedule for one date: its slots replace the weekly ones and a holiday
    (an extra Saturday before a tax deadline, say).  Closing a date is a :class:`Closure`."""

    date: date
    slots: tuple[Slot, ...]
    note: str = ""

    def __post_init__(self) -> None:
        if not self.slots:
            raise ValueError(f"the opening on {self.date} has no slots")
        check_slots(self.slots)
        object.__setattr__(self, "slots", tuple(sorted(self.slots)))


@dataclass(frozen=True, slots=True)
class Message:
    """A prompt for one date (a media URI, e.g. announcing changed hours)."""

    date: date
    prompt: str


def _weekly_default() -> tuple[tuple[Slot, ...], ...]:
    return tuple(() for _ in WEEKDAYS)


@dataclass(frozen=True, slots=True)
class Calendar:
    """When something is open (a line), reachable (an escalation point) or working (callbacks).

    ``weekly[0]`` holds Monday's slots, ``weekly[6]`` Sunday's.  Precedence, strongest first:
    closures, exceptional openings, public holidays, the weekly schedule.
    """

    name: str
    timezone: ZoneInfo
    weekly: tuple[tuple[Slot, ...], ...] = field(default_factory=_weekly_default)
    public_holidays: PublicHolidays | None = None
    closures: tuple[Closure, ...] = ()
    openings: tuple[Opening, ...] = ()
    messages: tuple[Message, ...] = ()

    def __post_init__(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise ValueError(f"weekly needs {len(WEEKDAYS)} days (Monday first)")
        for slots in self.weekly:
            check_slots(slots)
        object.__setattr__(self, "weekly", tuple(tuple(sorted(s)) for s in self.weekly))
        for what, dates in (
            ("opening", [o.date for o in self.openings]),
            ("message", [m.date for m in self.messages]),
        ):
            if len(set(dates)) != len(dates):
                raise ValueError(f"more than one {what} on a date")

    def opening_on(self, day: date) -> Opening | None:
        return next((opening for opening in self.openings if opening.date == day), None)

    def message_on(self, day: date) -> str | None:
        return next((m.prompt for m in self.messages if m.date == day), None)

    def holiday_on(self, day: date) -> str | None:
        return self.public_holidays.name_on(day) if self.public_holidays else None


def weekly_schedule(**days: Sequence[Slot | str]) -> tuple[tuple[Slot, ...], ...]:
    """``weekly_schedule(mon=["09:00-19:00"], ...)`` -> the ``weekly`` of a :class:`Calendar`."""
    unknown = set(days) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekdays: {', '.join(sorted(unknown))}")
    return tuple(
        tuple(Slot.parse(s) if isinstance(s, str) else s for s in days.get(name, ()))
        for name in WEEKDAYS
    )


def standard_calendar(name: str = "standard") -> Calendar:
    """The 1700 default: Monday to Friday 09:00-19:00 in Europe/Brussels, Belgian holidays."""
    office = ["09:00-19:00"]
    return Calendar(
        name=name,
        timezone=ZoneInfo("Europe/Brussels"),
        weekly=weekly_schedule(mon=office, tue=office, wed=office, thu=office, fri=office),
        public_holidays=PublicHolidays("BE"),
    )
