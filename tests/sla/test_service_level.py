"""The service-level figures, defined once, over a tally and over a /metrics text."""

from __future__ import annotations

import pytest

from foundation.contact import Activity, Outcome, Presence
from sla.metrics import EngineMetrics
from sla.service_level import (
    FIGURES,
    Tally,
    abandon_rate,
    answer_rate,
    average_handling_time,
    average_speed_of_answer,
    occupancy,
    service_level,
    service_level_without_short_abandons,
)
from sla.sources import tally_from_exposition
from tests.sla.test_metrics import CODE, Call
from tests.sla.test_sla_metrics import Now, agent_event, answered_call


def test_each_figure_of_a_period():
    tally = Tally(
        offered=20,
        answered=15,
        abandoned=5,
        short_abandoned=4,
        answered_within=8,
        answer_wait_s=150,
        talk_s=3000,
        talks=15,
        wrap_up_s=150,
        handling_agent_s=48,
        staffed_agent_s=60,
    )
    assert answer_rate(tally) == 0.75
    assert service_level(tally) == 0.4
    assert service_level_without_short_abandons(tally) == 0.5
    assert abandon_rate(tally) == 0.25
    assert average_speed_of_answer(tally) == 10
    assert average_handling_time(tally) == 210
    assert occupancy(tally) == 0.8


def test_a_period_without_contacts_has_no_figure_rather_than_zero():
    assert all(figure(Tally()) is None for figure in FIGURES)


def test_tallies_add_up_field_by_field():
    assert Tally(offered=2, answered=1) + Tally(offered=3, abandoned=1) == Tally(
        offered=5, answered=1, abandoned=1
    )


def test_the_tally_of_an_exposition_sums_lines_or_keeps_to_one():
    now = Now()
    metrics = EngineMetrics(now=now)
    metrics.agent_event(agent_event("a1", Presence.AVAILABLE, Activity.ON_CALL, 0))
    answered_call(metrics, "c1", "a1", 0).end(Outcome.ANSWERED, 100)  # waited 15 s
    other = Call(metrics, line="1701")
    other.record.id = "c2"
    other.queue(0, line_code="Onderwijs")
    other.end(Outcome.ABANDONED, 3)  # a short abandon
    now.value = now.value.replace(second=50)
    text = metrics.render().decode()

    everything = tally_from_exposition(text)
    assert (everything.offered, everything.answered, everything.abandoned) == (2, 1, 1)
    assert everything.short_abandoned == 1
    assert everything.answered_within == 1
    assert everything.handling_agent_s == everything.staffed_agent_s == 50
    one = tally_from_exposition(text, line="1700", line_code=CODE)
    assert (one.offered, one.answered, one.abandoned, one.answer_wait_s) == (1, 1, 0, 15)
    assert one.handling_agent_s == 50  # agents serve every line: not filtered
    assert answer_rate(everything) == pytest.approx(0.5)
    assert service_level_without_short_abandons(everything) == 1.0
