"""From a line's callback settings to the pure rules of :mod:`callbacks.schedule`."""

from __future__ import annotations

from datetime import timedelta

from acd.calendars import Calendar
from acd.settings import CallbackSettings
from callbacks.schedule import CallbackRules, CalmThresholds


def rules_from_settings(options: CallbackSettings, calendar: Calendar) -> CallbackRules:
    """The rules for a line: its ``callbacks`` settings and its calendar
    (``settings.line_calendar(line)``), which deadlines and attempts follow."""
    return CallbackRules(
        calendar=calendar,
        working_days=options.working_days,
        max_attempts=options.max_attempts,
        min_gap=timedelta(seconds=options.min_gap_s),
        calm=CalmThresholds(
            max_waiting=options.calm_max_waiting,
            min_idle_agents=options.calm_min_idle_agents,
        ),
    )
