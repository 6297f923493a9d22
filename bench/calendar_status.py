"""What a line's calendar status costs per arriving call, uncached and cached
(docs/performance.md, "Calendar status per arrival").

Arrivals spread evenly over a week (Thursday 2027-03-25 to Thursday 2027-04-01: a weekend,
Easter Monday and the spring DST change), the line's status read at each as the engine does on
arrival.  Two calendars: office hours (Monday to Friday 09:00-19:00, Belgian holidays, a closure
and an exceptional opening) and a line open around the clock (``calendar: always``).
``uncached`` calls ``status()`` every time; ``cached`` reads one ``StatusCache``.  Pure CPU, no
I/O; figures are the best of ``--repeat`` runs.

    .venv/bin/python bench/calendar_status.py [--arrivals 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from foundation.calendars import (
    WEEKDAYS,
    Calendar,
    Closure,
    Opening,
    PublicHolidays,
    Slot,
    Status,
    StatusCache,
    status,
    weekly_schedule,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
OFFICE = ["09:00-19:00"]
OFFICE_HOURS = Calendar(
    name="office",
    timezone=BRUSSELS,
    weekly=weekly_schedule(mon=OFFICE, tue=OFFICE, wed=OFFICE, thu=OFFICE, fri=OFFICE),
    public_holidays=PublicHolidays("BE"),
    closures=(Closure.on(date(2027, 5, 7), "Brugdag"),),
    openings=(Opening(date(2027, 4, 3), (Slot.parse("10:00-14:00"),), "Extra zaterdag"),),
)
ALWAYS = Calendar("always", BRUSSELS, weekly_schedule(**{d: ["00:00-24:00"] for d in WEEKDAYS}))
START = datetime(2027, 3, 25, tzinfo=BRUSSELS)
WEEK = timedelta(days=7)


def _arrivals(count: int) -> list[datetime]:
    step = WEEK / count
    return [START + index * step for index in range(count)]


def _uncached(calendar: Calendar) -> Callable[[datetime], Status]:
    return lambda at: status(calendar, at)


def _cached(calendar: Calendar) -> Callable[[datetime], Status]:
    cache = StatusCache()
    return lambda at: cache.status(calendar, at)


def _per_call_us(
    make: Callable[[Calendar], Callable[[datetime], Status]],
    calendar: Calendar,
    arrivals: list[datetime],
    repeat: int,
) -> float:
    best = float("inf")
    for _ in range(repeat):
        read = make(calendar)  # a fresh cache per run: its first computations count
        started = time.perf_counter()
        for at in arrivals:
            read(at)
        best = min(best, time.perf_counter() - started)
    return best / len(arrivals) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arrivals", type=int, default=40_000, help="arrivals over the week")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    arrivals = _arrivals(args.arrivals)
    print(f"python {platform.python_version()}, {args.arrivals} arrivals over one week")
    print(f"{'calendar':<14}{'uncached µs/call':>18}{'cached µs/call':>16}{'speed-up':>10}")
    for calendar in (OFFICE_HOURS, ALWAYS):
        slow = _per_call_us(_uncached, calendar, arrivals, args.repeat)
        fast = _per_call_us(_cached, calendar, arrivals, args.repeat)
        print(f"{calendar.name:<14}{slow:>18.2f}{fast:>16.3f}{slow / fast:>9.0f}x")


if __name__ == "__main__":
    main()
