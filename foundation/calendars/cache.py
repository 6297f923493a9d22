"""A calendar's status kept until it changes: an incoming call reads its line's status, and at
tens of calls a second recomputing it each time was most of the engine's work.

Pure like the rules: the caller passes the moment in.  A status holds from the moment it was
computed up to, not including, its ``valid_until``; a moment outside that span (later, or
earlier, as in a test replaying moments out of order) recomputes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from foundation.calendars.model import Calendar
from foundation.calendars.rules import Status, status

# Calendars are few (one per line or escalation point); the bound only keeps a process that
# reloads its settings many times from holding on to every calendar it ever had.
MAX_CALENDARS = 256


class StatusCache:
    """``cache.status(calendar, now)`` is ``status(calendar, now)``, computed once per change.

    Entries are keyed by the calendar object itself (by identity: hashing a frozen calendar
    would walk all its closures on every call); a calendar rebuilt from new settings is simply
    a new entry.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[Calendar, datetime, Status]] = {}
        self.computed = 0  # how many statuses were computed (for tests and the benchmark)

    def status(self, calendar: Calendar, at: datetime) -> Status:
        if at.tzinfo is None or at.utcoffset() is None:
            # Let the rules raise their error for a naive moment.
            return status(calendar, at)
        entry = self._entries.get(id(calendar))
        if entry is not None and entry[0] is calendar:
            since, cached = entry[1], entry[2]
            until = cached.valid_until
            if since <= at and (until is None or at < until):
                return cached
        fresh = status(calendar, at)
        self.computed += 1
        if len(self._entries) >= MAX_CALENDARS and id(calendar) not in self._entries:
            self._entries.clear()
        self._entries[id(calendar)] = (calendar, at.astimezone(UTC), fresh)
        return fresh
