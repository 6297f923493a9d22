"""The engine runs the scheduled reports of its acd.yaml: at start the latest period due, then
each at its run time on the engine's (virtual) clock, with the calls it recorded."""

from __future__ import annotations

import asyncio
import csv
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from acd.reports.period import BRUSSELS
from tests.system.harness import CONFIG, system
from tests.system.test_prometheus import answered_call

pytestmark = pytest.mark.system


async def test_the_engine_writes_each_days_report_the_next_morning(tmp_path: Path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    out = tmp_path / "reports"
    with (config / "acd.yaml").open("a") as f:
        f.write(
            "reports:\n  schedules:\n"
            "    - {name: daily, every: 1d, starting: 2027-03-01, run_at: '06:00',"
            f" format: csv, folder: '{out}'}}\n"
        )
    async with system(tmp_path, config=config) as s:  # Tuesday 30 March, 11:00 in Brussels
        await s.until(lambda: (out / "daily-2027-03-29-2027-03-29-totals.csv").exists())
        s.login("1002")
        await answered_call(s, 30.0)
        tuesday = out / "daily-2027-03-30-2027-03-30-totals.csv"
        assert not tuesday.exists()
        wednesday_6am = datetime(2027, 3, 31, 6, 0, 1, tzinfo=BRUSSELS)
        await asyncio.sleep((wednesday_6am - s.engine.clock.now()).total_seconds())
        await s.until(tuesday.exists)
    rows = list(csv.DictReader(tuesday.open(encoding="utf-8")))
    line = next(r for r in rows if r["line"] == "1700")
    assert (line["offered"], line["answered"], line["answer_rate"]) == ("1", "1", "1.0")
