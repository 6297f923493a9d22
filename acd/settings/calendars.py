"""``calendars.yaml``: named calendars (opening hours, holidays, closures, exceptional openings,
per-date messages), turned into :class:`foundation.calendars.Calendar` for the rest of the engine.

The file is optional.  A calendar named :data:`STANDARD_CALENDAR` always exists (Monday to
Friday 09:00-19:00, Europe/Brussels, Belgian public holidays) unless the file defines its own.
Dates and times are wall-clock time in the calendar's own zone, as an operator writes them.
"""

from __future__ import annotations

from datetime import date
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import (
    DaySlots,
    LocalDate,
    LocalDateTime,
    MediaUri,
    Text,
    TimeZoneName,
)
from acd.settings.problems import field_error, format_key
from foundation.calendars import (
    WEEKDAYS,
    Calendar,
    Closure,
    Message,
    Opening,
    PublicHolidays,
    Slot,
    standard_calendar,
)

STANDARD_CALENDAR = "standard"
STANDARD = standard_calendar(STANDARD_CALENDAR)


class HolidaysConfig(ConfigModel):
    """Public holidays from the ``holidays`` package.  Belgium's are national only: the
    Flemish Community's 11 July is a closure."""

    country: Text = "BE"
    subdiv: Text | None = None
    language: Text | None = None  # None: the country's own (Dutch names for BE)

    @model_validator(mode="after")
    def _known(self) -> Self:
        # Checked one key at a time, so the message points at the key that is wrong.
        for field, subdiv, language in (
            ("country", None, None),
            ("subdiv", self.subdiv, None),
            ("language", self.subdiv, self.language),
        ):
            try:
                PublicHolidays(self.country, subdiv, language)
            except ValueError as exc:
                raise field_error(field, str(exc)) from None
        return self

    def to_public_holidays(self) -> PublicHolidays:
        return PublicHolidays(self.country, self.subdiv, self.language)


class WeeklyConfig(ConfigModel):
    """Slots per weekday, ``"HH:MM-HH:MM"`` each; a day left out is closed."""

    mon: DaySlots = ()
    tue: DaySlots = ()
    wed: DaySlots = ()
    thu: DaySlots = ()
    fri: DaySlots = ()
    sat: DaySlots = ()
    sun: DaySlots = ()

    def to_weekly(self) -> tuple[tuple[Slot, ...], ...]:
        return tuple(tuple(Slot.parse(s) for s in getattr(self, day)) for day in WEEKDAYS)


class ClosureConfig(ConfigModel):
    """Closed on a whole ``date``, or ``from`` a moment ``to`` a later one (across midnight
    and weekends if need be)."""

    date: LocalDate | None = None
    start: LocalDateTime | None = Field(default=None, alias="from")
    to: LocalDateTime | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if self.date is not None:
            if self.start is not None or self.to is not None:
                raise ValueError("give either date, or from and to, not both")
            return self
        if self.start is None and self.to is None:
            raise ValueError("needs a date, or from and to")
        if self.start is None:
            raise field_error("from", "is required with to")
        if self.to is None:
            raise field_error("to", "is required with from")
        if self.to <= self.start:
            raise field_error("to", f"must be after from ({self.start:%Y-%m-%dT%H:%M})")
        return self

    def to_closure(self) -> Closure:
        if self.date is not None:
            return Closure.on(self.date, self.note)
        if self.start is None or self.to is None:  # refused by validation; for the type checker
            raise ValueError("a closure needs a date, or from and to")
        return Closure(self.start, self.to, self.note)


class OpeningConfig(ConfigModel):
    """An exceptional schedule for one date; it replaces the weekly slots and a holiday."""

    date: LocalDate
    slots: DaySlots = Field(min_length=1)
    note: str = ""

    def to_opening(self) -> Opening:
        return Opening(self.date, tuple(Slot.parse(s) for s in self.slots), self.note)


class MessageConfig(ConfigModel):
    """A prompt for one date, e.g. announcing changed hours ahead of a closure."""

    date: LocalDate
    prompt: MediaUri


class CalendarConfig(ConfigModel):
    name: Text
    timezone: TimeZoneName = "Europe/Brussels"
    weekly: WeeklyConfig
    holidays: HolidaysConfig | None = Field(default_factory=HolidaysConfig)  # null: none
    closures: tuple[ClosureConfig, ...] = ()
    openings: tuple[OpeningConfig, ...] = ()
    messages: tuple[MessageConfig, ...] = ()

    @model_validator(mode="after")
    def _one_per_date(self) -> Self:
        _one_per_date("openings", [opening.date for opening in self.openings])
        _one_per_date("messages", [message.date for message in self.messages])
        return self

    def to_calendar(self) -> Calendar:
        return Calendar(
            name=self.name,
            timezone=ZoneInfo(self.timezone),
            weekly=self.weekly.to_weekly(),
            public_holidays=self.holidays.to_public_holidays() if self.holidays else None,
            closures=tuple(closure.to_closure() for closure in self.closures),
            openings=tuple(opening.to_opening() for opening in self.openings),
            messages=tuple(Message(m.date, m.prompt) for m in self.messages),
        )


def _one_per_date(key: str, dates: list[date]) -> None:
    first: dict[date, int] = {}
    for index, day in enumerate(dates):
        if day in first:
            where = format_key((key, first[day]))
            raise field_error((key, index, "date"), f"{day} is already the date of {where}")
        first[day] = index


class CalendarsFile(ConfigModel):
    calendars: tuple[CalendarConfig, ...] = ()
