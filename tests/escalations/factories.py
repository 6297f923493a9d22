"""Escalation points for the tests: ANB - Team Jacht, reachable on weekday mornings and
Monday to Thursday afternoons."""

from __future__ import annotations

from datetime import date
from typing import Any

from escalations import Deviation, EscalationPoint, ScheduledChange
from foundation.calendars import Slot, weekly_schedule

MORNING_AND_AFTERNOON = ["09:00-12:00", "13:00-16:00"]


def jacht(**overrides: Any) -> EscalationPoint:
    values: dict[str, Any] = {
        "id": "anb-jacht",
        "editorial_title": "ANB - Team Jacht",
        "instructions": "Escalatie per mail? Vermeld altijd rijksregisternummer.",
        "content": "Jachtvergunningen, jachtexamen",
        "phone": "011 12 34 56",
        "may_give_number": True,
        "email": "jacht@vlaanderen.be",
        "reachability": weekly_schedule(
            mon=MORNING_AND_AFTERNOON,
            tue=MORNING_AND_AFTERNOON,
            wed=MORNING_AND_AFTERNOON,
            thu=MORNING_AND_AFTERNOON,
            fri=["09:00-12:00"],
        ),
        "line_codes": ("1700 Andere Vragen",),
        "reporting_organisation": "Agentschap voor Natuur en Bos",
        "reporting_theme": "Natuur",
    }
    return EscalationPoint(**(values | overrides))


def day_off(
    day: date, text: str = "Telefonisch niet bereikbaar op donderdag 12-12-2022"
) -> Deviation:
    return Deviation(day, day, text)


def change(on: date, **changes: Any) -> ScheduledChange:
    return ScheduledChange(on, changes)


__all__ = ["Slot", "change", "day_off", "jacht"]
