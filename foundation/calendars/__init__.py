"""Calendars: opening hours of lines, reachability windows of escalation points, and the
working days that callback deadlines and handling terms are counted in.  One module for all.

:mod:`foundation.calendars.model` holds the data (frozen, wall-clock time in the calendar's zone);
:mod:`foundation.calendars.rules` the pure functions over it, which take the moment as an aware
``at`` instead of reading a clock; :mod:`foundation.calendars.cache` keeps a status until it
changes.  ``acd hours`` renders them (:mod:`acd.hours`,
not imported here: it needs :mod:`acd.settings`, which needs this package).
"""

from foundation.calendars.cache import StatusCache
from foundation.calendars.model import (
    END_OF_DAY,
    WEEKDAYS,
    Calendar,
    Closure,
    Message,
    Opening,
    PublicHolidays,
    Slot,
    standard_calendar,
    weekly_schedule,
)
from foundation.calendars.rules import (
    SEARCH_DAYS,
    Day,
    Reason,
    Status,
    add_working_days,
    day_schedule,
    effective_slots,
    is_open,
    is_working_day,
    next_close,
    next_opening,
    status,
    working_days_between,
)

__all__ = [
    "END_OF_DAY",
    "SEARCH_DAYS",
    "WEEKDAYS",
    "Calendar",
    "Closure",
    "Day",
    "Message",
    "Opening",
    "PublicHolidays",
    "Reason",
    "Slot",
    "Status",
    "StatusCache",
    "add_working_days",
    "day_schedule",
    "effective_slots",
    "is_open",
    "is_working_day",
    "next_close",
    "next_opening",
    "standard_calendar",
    "status",
    "weekly_schedule",
    "working_days_between",
]
