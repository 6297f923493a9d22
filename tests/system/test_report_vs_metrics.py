"""The report's figures equal the metrics' for the same period (issue 14's "done when"): the
Prometheus system test's scenario runs against the engine, then `acd report`'s core reads the
SQL contact records (and wrap-ups) it wrote, and every tally field and every figure equals
what the engine's own /metrics gives (the demo summary's source, sla.service_level's
definitions on both sides)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from acd.demo_figures import sla_figures
from acd.reports.load import report_for
from acd.reports.occupancy import ALL_AGENTS
from acd.reports.period import Interval, Period
from sla.service_level import FIGURES
from sla.service_level import occupancy as occupancy_figure
from sla.sources import tally_from_exposition
from tests.system.harness import START, system
from tests.system.test_prometheus import LINE, scenario

pytestmark = pytest.mark.system

TALLY_FIELDS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "answered_within",
    "answer_wait_s",
    "talk_s",
    "talks",
    "wrap_up_s",
)


async def test_the_report_figures_equal_the_metrics_for_the_same_period(tmp_path):
    async with system(tmp_path) as s:
        await scenario(s)
        exposition = s.engine.metrics.render().decode()
        await s.engine.recorder.flush()
        assert s.engine.wrap_ups is not None
        await s.engine.wrap_ups.flush()
        now = s.engine.clock.now()
        # The engine started at START; the scenario took a few virtual minutes.
        period = Period(START, now + timedelta(seconds=1), Interval.HOUR)
        report = await report_for(s.engine.settings, period, made_at=now, hold=s.engine.clock.hold)
    occupancy = report.table("occupancy").rows

    metrics = tally_from_exposition(exposition, **LINE)
    totals = [r for r in report.table("totals").rows if (r[0], r[1]) == tuple(LINE.values())]
    assert len(totals) == 1
    rows = [
        r for r in report.operational if (r.line, r.line_code) == (LINE["line"], LINE["line_code"])
    ]
    recorded = rows[0].tally
    for row in rows[1:]:
        recorded += row.tally
    # The scenario's counts (tests/system/test_prometheus.py): 6 offered, 4 answered, 2
    # abandoned of which 1 short; 4 talks, each followed by a 10 s wrap-up.
    assert (recorded.offered, recorded.answered, recorded.abandoned) == (6, 4, 2)
    assert recorded.short_abandoned == 1
    assert recorded.wrap_up_s == pytest.approx(40.0, abs=0.5)
    for name in TALLY_FIELDS:
        assert getattr(recorded, name) == pytest.approx(getattr(metrics, name), rel=1e-9), name
    for figure in FIGURES:
        if figure.per_line:
            assert figure(recorded) == pytest.approx(figure(metrics), rel=1e-9), figure.name
    # Occupancy: the agents' staffed and handling seconds, all lines (agents serve several).
    every_line = tally_from_exposition(exposition)
    header = report.table("occupancy").header
    everyone = dict(zip(header, occupancy[-1], strict=True))
    assert everyone["agent"] == ALL_AGENTS
    assert everyone["staffed_s"] == pytest.approx(every_line.staffed_agent_s, abs=1e-3)
    assert everyone["handling_s"] == pytest.approx(every_line.handling_agent_s, abs=1e-3)
    assert float(everyone["handling_s"] or 0) > 0
    assert everyone["occupancy"] == round(occupancy_figure(every_line) or 0, 4)
    # And as the demo summary prints them (rounded to 4 places, as the report's tables).
    summary = sla_figures(exposition)
    header = report.table("totals").header
    total = dict(zip(header, totals[0], strict=True))
    assert total["offered"] == summary["offered"]
    assert total["answer_rate"] == summary["answer_rate"]
    assert total["service_level"] == summary["service_level"]
    assert total["asa_s"] == summary["average_speed_of_answer_s"]
    assert total["aht_s"] == summary["average_handling_time_s"]
    assert total["abandon_rate"] == summary["abandon_rate"]
