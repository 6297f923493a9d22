"""A real Prometheus (Debian's ``prometheus`` server, ./scripts/services installs it) scrapes the
engine during a scripted emulator scenario, evaluates config/prometheus's recording rules, and
they come out as the scenario implies, and equal to what the demo summary works out from the
engine's own /metrics (one definition: sla.service_level).

The scenario itself passes in virtual time between two of Prometheus' (wall time) scrapes:
see tests/system/prometheus.py.
"""

from __future__ import annotations

import asyncio

import pytest

from acd.demo_figures import sla_figures
from sla.service_level import FIGURES
from sla.sources import tally_from_exposition
from tests.system.harness import System, system
from tests.system.prometheus import scraping

pytestmark = pytest.mark.system

LINE = {"line": "1700", "line_code": "1700 Andere Vragen"}
DEADLINE_S = 60.0


async def answered_call(s: System, talk_s: float) -> None:
    caller = s.emu.pbx.place_call("1700")
    await s.until(lambda: s.bridged_agent(caller))
    await s.wait(talk_s)
    s.emu.pbx.hangup_from_phone(caller)
    await s.until(lambda: not s.engine.core.contacts)
    await s.wait(15)  # wrap-up over


async def scenario(s: System) -> None:
    """Four calls answered at once by the one agent; while the fourth talks, one caller hangs
    up after 2 s in the queue (a short abandon) and one after 40 s."""
    s.login("1002")
    await s.wait(1)
    for talk_s in (30.0, 60.0, 90.0):
        await answered_call(s, talk_s)
    busy = s.emu.pbx.place_call("1700")
    await s.until(lambda: s.bridged_agent(busy))
    short = s.emu.pbx.place_call("1700")
    await s.wait(2)
    s.emu.pbx.hangup_from_phone(short)
    patient = s.emu.pbx.place_call("1700")
    await s.wait(40)
    s.emu.pbx.hangup_from_phone(patient)
    await s.wait(20)
    s.emu.pbx.hangup_from_phone(busy)
    await s.until(lambda: not s.engine.core.contacts)
    await s.wait(15)


async def test_recording_rules_evaluate_to_what_the_scenario_implies(tmp_path):
    async with system(tmp_path) as s, scraping(s, tmp_path) as prom:
        # The first scrape sees every counter at 0 (the lines are declared at start).
        await asyncio.to_thread(
            prom.until, f"line:acd_offered:increase15m{{line='{LINE['line']}'}}", 0, "rules"
        )
        await scenario(s)
        exposition = s.engine.metrics.render().decode()
        figures = sla_figures(exposition)
        assert (figures["offered"], figures["answered"], figures["abandoned"]) == (6, 4, 2)
        assert figures["short_abandoned"] == 1
        tally = tally_from_exposition(exposition)
        assert tally.talks == 4
        assert tally.wrap_up_s == pytest.approx(4 * 10.0, abs=0.5)  # wrap_up_s: 10 each
        assert tally.talk_s == pytest.approx(30 + 60 + 90 + 62, abs=2.0)

        sel = "{" + ",".join(f'{k}="{v}"' for k, v in LINE.items()) + "}"
        expected = {
            # What the scenario implies: 4 of 6 answered, all within 20 s; 1 short abandon.
            "acd_answer_rate:ratio15m": 4 / 6,
            "acd_service_level:ratio15m": 4 / 6,
            "acd_service_level_without_short_abandons:ratio1h": 4 / 5,
            "acd_abandon_rate:ratio1d": 2 / 6,
            # Times come from the emulator's timing: Prometheus must agree with the
            # engine's own figures (the demo summary's) to the last digit.
            "acd_average_speed_of_answer_seconds:mean15m": _unrounded(
                exposition, "average_speed_of_answer"
            ),
            "acd_average_handling_time_seconds:mean1h": _unrounded(
                exposition, "average_handling_time"
            ),
        }
        for series, want in expected.items():
            await asyncio.to_thread(prom.until, f"line_line_code:{series}{sel}", want, series)
        await asyncio.to_thread(
            prom.until, "line:acd_answer_rate:ratio1h{line='1700'}", 4 / 6, "per line"
        )
        await asyncio.to_thread(
            prom.until,
            'job:acd_occupancy:ratio15m{job="acd"}',
            _unrounded(exposition, "occupancy"),
            "occupancy",
        )
        assert pytest.approx(figures["answer_rate"], abs=1e-4) == 4 / 6


def _unrounded(exposition: str, name: str) -> float:
    figure = next(f for f in FIGURES if f.name == name)
    value = figure(tally_from_exposition(exposition))
    assert value is not None, name
    return value
