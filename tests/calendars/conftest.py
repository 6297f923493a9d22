"""Calendars the tests share: 1700's hours with its 2027 closures, and one open around the
clock.  Times are Europe/Brussels unless an offset says otherwise."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from foundation.calendars import (
    WEEKDAYS,
    Calendar,
    Closure,
    Message,
    Opening,
    PublicHolidays,
    Slot,
    weekly_schedule,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
OFFICE = ["09:00-19:00"]

C1700 = Calendar(
    name="1700",
    timezone=BRUSSELS,
    weekly=weekly_schedule(mon=OFFICE, tue=OFFICE, wed=OFFICE, thu=OFFICE, fri=OFFICE),
    public_holidays=PublicHolidays("BE"),
    closures=(
        Closure.on(date(2027, 5, 7), "Brugdag"),  # the Friday after Ascension Day
        Closure.on(date(2028, 7, 11), "Feest van de Vlaamse Gemeenschap"),
        # Across midnight and a weekend, holidays inside it.
        Closure(datetime(2027, 12, 24, 16), datetime(2027, 12, 27, 9), "Kerstsluiting"),
    ),
    openings=(Opening(date(2027, 4, 3), (Slot.parse("10:00-14:00"),), "Extra zaterdag"),),
    messages=(Message(date(2027, 3, 30), "sound:acd-changed-hours"),),
)

AROUND_THE_CLOCK = Calendar(
    name="24/7",
    timezone=BRUSSELS,
    weekly=weekly_schedule(**{day: ["00:00-24:00"] for day in WEEKDAYS}),
    closures=(Closure(datetime(2027, 6, 1, 22), datetime(2027, 6, 2, 6), "Onderhoud"),),
)


def at(text: str) -> datetime:
    """``"2027-03-29T10:00"`` in Brussels, or with an explicit offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=BRUSSELS)
