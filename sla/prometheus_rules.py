"""Writes config/prometheus/rules/acd.rules.yml from the definitions in sla.service_level and
sla.sources, so the rules cannot drift from the demo summary and the reports.

    python -m sla.prometheus_rules > config/prometheus/rules/acd.rules.yml

(tests/sla/test_prometheus_rules.py fails when the committed file differs.)  Recorded series
follow Prometheus' ``level:metric:operations`` naming: ``line_line_code:acd_answered:increase1h``
(per line and line code), ``line:...`` (per line), ``job:...`` (agents, not per line);
figures are ``...:acd_<figure>:ratio<window>`` or ``...:acd_<figure>_seconds:mean<window>``.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from sla.service_level import (
    ANSWER_RATE_NORM,
    FIGURES,
    OLDEST_WAIT_ALERT_S,
    Figure,
    Term,
)
from sla.sources import AGENT_FIELDS, SOURCES

WINDOWS = ("15m", "1h", "1d")
LEVELS = {"line_line_code": ("line", "line_code"), "line": ("line",)}
AGENT_LEVEL = "job"


def field_series(level: str, field: str, window: str) -> str:
    metric = f"{field[:-2]}_seconds" if field.endswith("_s") else field  # base units spelt out
    return f"{level}:acd_{metric}:increase{window}"


def figure_series(level: str, figure: Figure, window: str) -> str:
    if figure.unit == "seconds":
        return f"{level}:acd_{figure.name}_seconds:mean{window}"
    return f"{level}:acd_{figure.name}:ratio{window}"


def _by(labels: tuple[str, ...]) -> str:
    return f"sum by ({', '.join(labels)})"


def _field_rules(window: str) -> list[dict[str, str]]:
    rules = []
    base = field_series("line_line_code", "offered", window)
    for field, sources in SOURCES.items():
        agents = field in AGENT_FIELDS
        level = AGENT_LEVEL if agents else "line_line_code"
        by = _by(("job",) if agents else LEVELS["line_line_code"])
        # Sources of one field select disjoint series: ``or`` unions them, where ``+`` would
        # give nothing when one of them has no series yet.
        increases = " or ".join(f"increase({s.selector()}[{window}])" for s in sources)
        expr = f"{by} ({increases})"
        if not agents and field != "offered":
            # A line whose counter has not been created yet: 0, not a missing series that
            # would make every figure using it vanish.
            expr = f"({expr}) or 0 * {base}"
        rules.append({"record": field_series(level, field, window), "expr": expr})
        if not agents:
            rules.append(
                {
                    "record": field_series("line", field, window),
                    "expr": f"sum by (line) ({field_series('line_line_code', field, window)})",
                }
            )
    return rules


def _terms(level: str, terms: tuple[Term, ...], window: str) -> str:
    text = ""
    for sign, field in terms:
        series = field_series(level, field, window)
        text += series if not text else f" {'+' if sign > 0 else '-'} {series}"
    return f"({text})" if len(terms) > 1 else text


def _figure_rules(window: str) -> list[dict[str, str]]:
    rules = []
    for figure in FIGURES:
        levels = tuple(LEVELS) if figure.per_line else (AGENT_LEVEL,)
        for level in levels:
            numerator = _terms(level, figure.numerator, window)
            denominator = _terms(level, figure.denominator, window)
            rules.append(
                {
                    "record": figure_series(level, figure, window),
                    "expr": f"{numerator} / {denominator}",
                }
            )
    return rules


def _alerts() -> list[dict[str, Any]]:
    answer_rate = next(f for f in FIGURES if f.name == "answer_rate")
    return [
        {
            "alert": "AcdAnswerRateBelowNorm",
            "expr": f"{figure_series('line', answer_rate, '1h')} < {ANSWER_RATE_NORM:g} "
            "and on (line) acd_line_open == 1",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "Line {{ $labels.line }}: answer rate {{ $value | humanizePercentage }}"
                f" over the last hour, below the norm of {ANSWER_RATE_NORM:.0%}",
            },
        },
        {
            "alert": "AcdOldestWaitTooLong",
            "expr": f"max by (line, line_code) (acd_oldest_wait_seconds) > {OLDEST_WAIT_ALERT_S:g}",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.line }} / {{ $labels.line_code }}: a caller has waited "
                "{{ $value | humanizeDuration }}"
                f" (more than {OLDEST_WAIT_ALERT_S:g} s)",
            },
        },
        {
            "alert": "AcdCallbacksNearDeadline",
            "expr": "max(acd_callbacks_due_soon) > 0",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $value }} open callbacks reach their deadline within hours",
            },
        },
        {
            "alert": "AcdCallbacksOverdue",
            "expr": "max(acd_callbacks_overdue) > 0",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "{{ $value }} open callbacks are past their deadline"},
        },
        {
            "alert": "AcdAriDisconnected",
            "expr": "acd_ari_connected == 0",
            "for": "30s",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "The engine {{ $labels.instance }} has lost its connection to "
                "Asterisk (ARI): no calls are routed",
            },
        },
        {
            "alert": "AcdDependencyDown",
            "expr": "acd_dependency_up == 0",
            "for": "30s",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "The engine {{ $labels.instance }} cannot reach {{ $labels.dependency }}"
                " (ari: no calls routed; redis: no offers made; sql: records buffered in memory)",
            },
        },
    ]


def rules() -> dict[str, Any]:
    groups: list[dict[str, Any]] = [
        {"name": f"acd_sla_{window}", "rules": _field_rules(window) + _figure_rules(window)}
        for window in WINDOWS
    ]
    groups.append({"name": "acd_alerts", "rules": _alerts()})
    return {"groups": groups}


def render() -> str:
    header = (
        "# Generated by `python -m sla.prometheus_rules` from sla/service_level.py and\n"
        "# sla/sources.py: edit those, not this file (docs/sla.md explains each figure).\n"
    )
    return header + yaml.safe_dump(rules(), sort_keys=False, width=1000, allow_unicode=True)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
