"""The end-to-end benchmark's config: its lines must be open whenever it runs.

Its line once had no calendar, so outside Brussels office hours every call heard only the
closed message and the benchmark reported ``"answered": 0``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acd.settings import load_settings
from bench.engine_e2e import write_config
from foundation.calendars import status

pytestmark = pytest.mark.unit

# Every hour of a working day and of a Sunday (no public holidays on either), at minute 59:
# a run started then still has an hour of opening ahead.
START = [
    day + timedelta(hours=h, minutes=59)
    for day in (datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC))
    for h in range(24)
]


@pytest.mark.parametrize("calendar", ["office", "always"])
def test_the_line_is_open_at_any_hour(tmp_path: Path, calendar: str) -> None:
    for at in START:
        config = tmp_path / f"{at:%d%H}"
        write_config(config, agents=2, calendar=calendar, now=at)
        settings = load_settings(config, env={})
        (line,) = settings.lines
        line_calendar = settings.line_calendar(line)
        assert line.calendar == calendar
        for later in (at, at + timedelta(minutes=59)):
            assert status(line_calendar, later).open, (calendar, later)
