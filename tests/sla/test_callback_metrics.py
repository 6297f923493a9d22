"""Callback metrics as Prometheus reads them from the shared registry."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from callbacks import AttemptResult, CallbackStatus
from sla.callback_metrics import CallbackMetrics
from sla.metrics import EngineMetrics


def samples(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.endswith("_created")
    }


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return samples(registry)[(name, frozenset(labels.items()))]


def test_each_step_counts_on_the_engine_s_registry() -> None:
    engine = EngineMetrics()
    metrics = CallbackMetrics(engine.registry)
    metrics.offered("1700")
    metrics.offered("1700")
    metrics.accepted("1700")
    metrics.attempt("1700", AttemptResult.BUSY)
    metrics.attempt("1700", "answered")
    metrics.completed("1700", within_deadline=True)
    metrics.ended("1701", CallbackStatus.EXPIRED)
    metrics.set_overdue(3)
    metrics.set_open(5)
    registry = engine.registry
    assert value(registry, "acd_callbacks_offered_total", line="1700") == 2
    assert value(registry, "acd_callbacks_accepted_total", line="1700") == 1
    assert value(registry, "acd_callback_attempts_total", line="1700", result="busy") == 1
    assert value(registry, "acd_callback_attempts_total", line="1700", result="answered") == 1
    assert (
        value(registry, "acd_callbacks_completed_total", line="1700", within_deadline="true") == 1
    )
    assert value(registry, "acd_callbacks_ended_total", line="1701", status="expired") == 1
    assert value(registry, "acd_callbacks_overdue") == 3
    assert value(registry, "acd_callbacks_open") == 5
    # Served with the engine's own metrics.
    assert b"acd_callbacks_offered_total" in engine.render()


def test_a_line_s_series_start_at_zero() -> None:
    registry = CollectorRegistry()
    CallbackMetrics(registry).offered("1700")
    found = samples(registry)
    for result in AttemptResult:
        key = ("acd_callback_attempts_total", frozenset({("line", "1700"), ("result", result)}))
        assert found[key] == 0
    assert (
        value(registry, "acd_callbacks_completed_total", line="1700", within_deadline="false") == 0
    )
    assert value(registry, "acd_callbacks_ended_total", line="1700", status="no_answer") == 0
    assert value(registry, "acd_callbacks_overdue") == 0


def test_nonsense_is_refused() -> None:
    metrics = CallbackMetrics(CollectorRegistry())
    with pytest.raises(ValueError, match="not an unsuccessful final status"):
        metrics.ended("1700", CallbackStatus.COMPLETED)
    with pytest.raises(ValueError, match="exploded"):
        metrics.attempt("1700", "exploded")
