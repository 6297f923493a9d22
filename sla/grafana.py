"""Writes the Grafana dashboards in config/grafana/dashboards/ from code, so their queries use the
same recorded series and figure definitions as the rules (sla.prometheus_rules, sla.service_level)
and cannot drift from them.

    python -m sla.grafana          # rewrites config/grafana/dashboards/*.json

(tests/sla/test_grafana.py fails when a committed file differs, and when a query names a series
that neither the engine exposes nor a recording rule records; tests/system/test_dashboards.py
evaluates every panel's query in a real Prometheus after an emulator scenario.)

Plain dicts in Grafana's dashboard JSON model (schemaVersion 39): four dashboards is too little
to be worth a code generator's dependency.  Every query is aggregated ``by`` exactly the labels
its legend shows, so each series on a panel has a name a supervisor can read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sla.callback_metrics import DUE_SOON_S
from sla.prometheus_rules import WINDOWS, field_series
from sla.service_level import (
    ANSWER_RATE_NORM,
    OLDEST_WAIT_ALERT_S,
    SERVICE_LEVEL_THRESHOLD_S,
    Figure,
    Term,
    answer_rate,
    average_handling_time,
    average_speed_of_answer,
    service_level,
    service_level_without_short_abandons,
)

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS_DIR = ROOT / "config" / "grafana" / "dashboards"
# The data source config/grafana/provisioning/datasources/prometheus.yml provisions.
DATASOURCE = {"type": "prometheus", "uid": "acd-prometheus"}
# The selection of the per-line dashboards' template variables.
LINE_SELECTOR = '{line="$line",line_code=~"$line_code"}'
WINDOW_NAMES = {"15m": "15 min", "1h": "1 h", "1d": "1 day"}
GRID_WIDTH = 24


@dataclass(frozen=True, slots=True)
class Query:
    expr: str
    legend: str  # Grafana's legendFormat: ``{{label}}`` for each label the query keeps


# -- PromQL ------------------------------------------------------------------------------------


def _sum(series: str, by: Sequence[str], selector: str) -> str:
    grouping = f" by ({', '.join(by)})" if by else ""
    return f"sum{grouping} ({series}{selector})"


def _terms(terms: tuple[Term, ...], window: str, by: Sequence[str], selector: str) -> str:
    text = ""
    for sign, field in terms:
        part = _sum(field_series("line_line_code", field, window), by, selector)
        text += part if not text else f" {'+' if sign > 0 else '-'} {part}"
    return f"({text})" if len(terms) > 1 else text


def figure_expr(
    figure: Figure, window: str, by: Sequence[str] = (), selector: str = LINE_SELECTOR
) -> str:
    """A figure over the selected lines and line codes, from the recorded per-line-code
    increases: the selection may be several line codes, so the recorded per-code ratio cannot
    simply be read (a ratio of sums, not a sum of ratios)."""
    numerator = _terms(figure.numerator, window, by, selector)
    denominator = _terms(figure.denominator, window, by, selector)
    return f"{numerator} / {denominator}"


def field_expr(
    field: str, window: str, by: Sequence[str] = (), selector: str = LINE_SELECTOR
) -> str:
    return _sum(field_series("line_line_code", field, window), by, selector)


# -- panels ------------------------------------------------------------------------------------


def _thresholds(*steps: tuple[str, float | None]) -> dict[str, Any]:
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for color, value in steps],
    }


PERCENT_NORM = _thresholds(("red", None), ("green", ANSWER_RATE_NORM))
OLDEST_WAIT = _thresholds(("green", None), ("orange", 60), ("red", OLDEST_WAIT_ALERT_S))
ALARM_ANY = _thresholds(("green", None), ("red", 1))
NEUTRAL = _thresholds(("blue", None))


@dataclass(frozen=True, slots=True)
class Panel:
    kind: str  # stat, timeseries, bargauge, table
    title: str
    description: str
    queries: tuple[Query, ...]
    width: int = 6
    height: int = 5
    unit: str = "short"
    thresholds: dict[str, Any] | None = None
    line_at_threshold: bool = False  # timeseries: draw the thresholds as lines (the norm)
    max_value: float | None = None


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "unit": panel.unit,
        "thresholds": panel.thresholds or NEUTRAL,
        "color": {"mode": "thresholds" if panel.kind != "timeseries" else "palette-classic"},
    }
    if panel.unit == "percentunit":
        defaults["min"] = 0
        defaults["max"] = 1
    if panel.max_value is not None:
        defaults["max"] = panel.max_value
    if panel.kind == "timeseries":
        mode = "line" if panel.line_at_threshold else "off"
        defaults["custom"] = {"thresholdsStyle": {"mode": mode}, "spanNulls": True}
    instant = panel.kind != "timeseries"
    targets = [
        {
            "refId": chr(ord("A") + index),
            "datasource": DATASOURCE,
            "expr": query.expr,
            "legendFormat": query.legend,
            "instant": instant,
            "range": not instant,
        }
        for index, query in enumerate(panel.queries)
    ]
    body: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "targets": targets,
    }
    if panel.kind == "stat":
        body["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "textMode": "value_and_name",
        }
    elif panel.kind == "bargauge":
        body["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "orientation": "horizontal",
            "displayMode": "basic",
        }
    elif panel.kind == "table":
        body["options"] = {"showHeader": True}
        body["transformations"] = [{"id": "labelsToFields", "options": {}}]
        for target in targets:
            target["format"] = "table"
    return body


def _layout(panels: Iterable[Panel]) -> list[dict[str, Any]]:
    """Left to right, a new row when the next panel would not fit."""
    laid: list[dict[str, Any]] = []
    x = y = row_height = 0
    for panel_id, panel in enumerate(panels, start=1):
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        laid.append(_panel_json(panel, panel_id, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return laid


def _variable(
    name: str, label: str, query: str, *, multi: bool = False, description: str = ""
) -> dict[str, Any]:
    variable: dict[str, Any] = {
        "name": name,
        "label": label,
        "description": description,
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 2,  # on time range change: a line code added to the config appears
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "current": {},
        "options": [],
    }
    if multi:
        variable["allValue"] = ".*"  # every line code, also ones without traffic yet
    return variable


LINE_VARIABLES = [
    _variable(
        "line",
        "Line",
        "label_values(acd_contacts_offered_total, line)",
        description="The line (phone number) the wallboard shows.",
    ),
    _variable(
        "line_code",
        "Line code",
        'label_values(acd_contacts_offered_total{line="$line"}, line_code)',
        multi=True,
        description="The line codes of the line to count in (All: the whole line).",
    ),
]


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: Iterable[Panel],
    variables: list[dict[str, Any]],
    time_from: str = "now-6h",
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["acd"],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": time_from, "to": "now"},
        "annotations": {"list": []},
        "links": [
            {"type": "dashboards", "tags": ["acd"], "asDropdown": True, "title": "ACD dashboards"}
        ],
        "templating": {"list": variables},
        "panels": _layout(panels),
    }


# -- the dashboards ------------------------------------------------------------------------------

_NORM = f"{ANSWER_RATE_NORM:.0%}"
_SL_S = f"{SERVICE_LEVEL_THRESHOLD_S:g} s"


def wallboard() -> dict[str, Any]:
    line = ("line",)
    panels = [
        Panel(
            "stat",
            "Answer rate (15 min)",
            f"Answered / (answered + abandoned) over the last 15 minutes; the norm is {_NORM}.",
            (Query(figure_expr(answer_rate, "15m", line), "{{line}}"),),
            unit="percentunit",
            thresholds=PERCENT_NORM,
        ),
        Panel(
            "stat",
            f"Service level ({_SL_S}, 15 min)",
            f"Answered within {_SL_S} / (answered + abandoned), last 15 minutes; and the same "
            "leaving out short abandons.",
            (
                Query(figure_expr(service_level, "15m", line), "{{line}}"),
                Query(
                    figure_expr(service_level_without_short_abandons, "15m", line),
                    "{{line}} without short abandons",
                ),
            ),
            unit="percentunit",
        ),
        Panel(
            "stat",
            "Waiting now",
            "Callers in the queue now, per line code.",
            (Query(_sum("acd_contacts_waiting", ("line_code",), LINE_SELECTOR), "{{line_code}}"),),
            thresholds=_thresholds(("green", None), ("orange", 3), ("red", 10)),
        ),
        Panel(
            "stat",
            "Oldest wait",
            f"How long the longest-waiting caller has waited, per line code; red from "
            f"{OLDEST_WAIT_ALERT_S:g} s (the callback offer, alert AcdOldestWaitTooLong).",
            (
                Query(
                    f"max by (line_code) (acd_oldest_wait_seconds{LINE_SELECTOR})",
                    "{{line_code}}",
                ),
            ),
            unit="s",
            thresholds=OLDEST_WAIT,
        ),
        Panel(
            "timeseries",
            f"Answer rate vs the {_NORM} norm (15 min)",
            f"Answer rate over a sliding 15 minutes; the line is the norm of {_NORM}.",
            (Query(figure_expr(answer_rate, "15m", line), "{{line}}"),),
            width=12,
            height=8,
            unit="percentunit",
            thresholds=PERCENT_NORM,
            line_at_threshold=True,
        ),
        Panel(
            "bargauge",
            "Agents by presence and activity",
            "Logged-in agents now (agents serve several lines: not filtered by line).",
            (
                Query(
                    'sum by (presence, activity) (acd_agents{presence!="logged_out"})',
                    "{{presence}} / {{activity}}",
                ),
            ),
            width=12,
            height=8,
        ),
        Panel(
            "stat",
            "Today: offered, answered, abandoned",
            "Contacts over the last day (recorded 1-day increases).",
            (
                Query(field_expr("offered", "1d"), "offered"),
                Query(field_expr("answered", "1d"), "answered"),
                Query(field_expr("abandoned", "1d"), "abandoned"),
            ),
            width=12,
            unit="none",
        ),
        Panel(
            "stat",
            "ASA and AHT (1 h)",
            "Average speed of answer (queue wait of the answered) and average handling time "
            "(talk + after-call work per call), last hour.",
            (
                Query(figure_expr(average_speed_of_answer, "1h"), "ASA"),
                Query(figure_expr(average_handling_time, "1h"), "AHT"),
            ),
            width=12,
            unit="s",
        ),
        Panel(
            "stat",
            "Dependencies",
            "1 while every engine reaches it (ari: the events stream; redis: the shared state; "
            "sql: the records database); 0 during an outage (docs/architecture.md, Outages).",
            (Query("min by (dependency) (acd_dependency_up)", "{{dependency}}"),),
            width=24,
            height=3,
            unit="none",
            thresholds=_thresholds(("red", None), ("green", 1)),
        ),
    ]
    return dashboard(
        "acd-wallboard",
        "ACD wallboard",
        "One line now: answer rate against the norm, service level, waiting callers, agents.",
        panels,
        LINE_VARIABLES,
        time_from="now-3h",
    )


def _per_window(figure: Figure) -> tuple[Query, ...]:
    return tuple(Query(figure_expr(figure, w), WINDOW_NAMES[w]) for w in WINDOWS)


def trends() -> dict[str, Any]:
    panels = [
        Panel(
            "timeseries",
            f"Answer rate vs the {_NORM} norm",
            "Over sliding windows of 15 minutes, 1 hour and 1 day (the recording rules).",
            _per_window(answer_rate),
            width=12,
            height=8,
            unit="percentunit",
            thresholds=PERCENT_NORM,
            line_at_threshold=True,
        ),
        Panel(
            "timeseries",
            f"Service level ({_SL_S})",
            f"Answered within {_SL_S} / (answered + abandoned), over sliding windows.",
            _per_window(service_level),
            width=12,
            height=8,
            unit="percentunit",
        ),
        Panel(
            "timeseries",
            "Contacts per hour",
            "Offered, answered and abandoned over the last hour, as it slides.",
            tuple(Query(field_expr(f, "1h"), f) for f in ("offered", "answered", "abandoned")),
            width=12,
            height=8,
        ),
        Panel(
            "timeseries",
            "Wait of the answered (90th percentile)",
            "90% of the answered callers waited at most this long (from the wait histogram).",
            (
                Query(
                    "histogram_quantile(0.9, sum by (le) "
                    f"(rate(acd_answer_wait_seconds_bucket{LINE_SELECTOR}[$__rate_interval])))",
                    "90th percentile",
                ),
            ),
            width=12,
            height=8,
            unit="s",
        ),
        Panel(
            "timeseries",
            "ASA and AHT (1 h)",
            "Average speed of answer and average handling time over a sliding hour.",
            (
                Query(figure_expr(average_speed_of_answer, "1h"), "ASA"),
                Query(figure_expr(average_handling_time, "1h"), "AHT"),
            ),
            width=12,
            height=8,
            unit="s",
        ),
        Panel(
            "timeseries",
            "Occupancy",
            "Agent time on calls or after-call work / staffed agent time (all lines).",
            tuple(Query(f"sum(job:acd_occupancy:ratio{w})", WINDOW_NAMES[w]) for w in WINDOWS),
            width=12,
            height=8,
            unit="percentunit",
        ),
    ]
    return dashboard(
        "acd-trends",
        "ACD trends",
        "One line over time: the 15-minute, 1-hour and 1-day recording rules.",
        panels,
        LINE_VARIABLES,
        time_from="now-7d",
    )


CALLBACK_LINE = '{line=~"$line"}'


def callbacks() -> dict[str, Any]:
    soon_h = f"{DUE_SOON_S / 3600:g} h"
    completed = f"sum(increase(acd_callbacks_completed_total{CALLBACK_LINE}[$__range]))"
    panels = [
        Panel(
            "stat",
            "Open callbacks",
            "Callbacks pending or being dialled now.",
            (Query("sum(acd_callbacks_open)", "open"),),
        ),
        Panel(
            "stat",
            f"Due within {soon_h}",
            f"Open callbacks whose deadline falls within {soon_h} (alert "
            "AcdCallbacksNearDeadline).",
            (Query("sum(acd_callbacks_due_soon)", "due soon"),),
            thresholds=_thresholds(("green", None), ("orange", 1)),
        ),
        Panel(
            "stat",
            "Overdue",
            "Open callbacks past their deadline (alert AcdCallbacksOverdue).",
            (Query("sum(acd_callbacks_overdue)", "overdue"),),
            thresholds=ALARM_ANY,
        ),
        Panel(
            "stat",
            "Made within the deadline",
            "Of the callbacks that reached the citizen in the time range, the share within "
            "the deadline (2 working days).",
            (
                Query(
                    "sum(increase(acd_callbacks_completed_total"
                    f'{{line=~"$line",within_deadline="true"}}[$__range])) / {completed}',
                    "within deadline",
                ),
            ),
            unit="percentunit",
            thresholds=PERCENT_NORM,
        ),
        Panel(
            "bargauge",
            "Callbacks in the time range",
            "Offered, accepted, and how they ended, per line.",
            (
                Query(
                    f"sum by (line) (increase(acd_callbacks_offered_total{CALLBACK_LINE}"
                    "[$__range]))",
                    "{{line}} offered",
                ),
                Query(
                    f"sum by (line) (increase(acd_callbacks_accepted_total{CALLBACK_LINE}"
                    "[$__range]))",
                    "{{line}} accepted",
                ),
                Query(
                    "sum by (line, within_deadline) (increase(acd_callbacks_completed_total"
                    f"{CALLBACK_LINE}[$__range]))",
                    "{{line}} completed, within deadline: {{within_deadline}}",
                ),
                Query(
                    f"sum by (line, status) (increase(acd_callbacks_ended_total{CALLBACK_LINE}"
                    "[$__range]))",
                    "{{line}} {{status}}",
                ),
            ),
            width=12,
            height=10,
        ),
        Panel(
            "bargauge",
            "Attempts by result",
            "Attempts to reach the citizen in the time range.",
            (
                Query(
                    "sum by (line, result) (increase(acd_callback_attempts_total"
                    f"{CALLBACK_LINE}[$__range]))",
                    "{{line}} {{result}}",
                ),
            ),
            width=12,
            height=10,
        ),
    ]
    line = _variable(
        "line",
        "Line",
        "label_values(acd_callbacks_offered_total, line)",
        multi=True,
        description="Lines that offer callbacks.",
    )
    return dashboard(
        "acd-callbacks",
        "ACD callbacks",
        "Open callbacks against their deadline, and how they went.",
        panels,
        [line],
        time_from="now-2d",
    )


def escalations() -> dict[str, Any]:
    code = '{line_code=~"$line_code"}'
    panels = [
        Panel(
            "table",
            "Escalations by point, channel and outcome",
            "Escalations in the time range (phone: connected, not_reached, caller_hung_up; "
            "e-mail: queued, delivered).",
            (
                Query(
                    "sum by (point, channel, outcome) (increase(acd_escalations_total"
                    f"{code}[$__range]))",
                    "{{point}} {{channel}} {{outcome}}",
                ),
            ),
            width=12,
            height=9,
        ),
        Panel(
            "bargauge",
            "Refused transfers by reason",
            "Transfers agents asked for and were refused in the time range (not per line code).",
            (
                Query(
                    "sum by (point, reason) (increase(acd_transfers_refused_total[$__range]))",
                    "{{point}}: {{reason}}",
                ),
            ),
            width=12,
            height=9,
        ),
        Panel(
            "bargauge",
            "Ratings: averages per point",
            "Average score (1-5) the escalation points gave the escalations they received, "
            "per criterion (all ratings so far).",
            (
                Query(
                    "avg by (point, criterion) (acd_escalation_rating_average)",
                    "{{point}} {{criterion}}",
                ),
            ),
            width=12,
            height=9,
            max_value=5,
            thresholds=_thresholds(("red", None), ("orange", 3), ("green", 4)),
        ),
        Panel(
            "stat",
            "Ratings per point",
            "How many ratings each point gave (all so far).",
            (Query("max by (point) (acd_escalation_ratings)", "{{point}}"),),
            width=12,
            height=9,
        ),
    ]
    line_code = _variable(
        "line_code",
        "Line code",
        "label_values(acd_contacts_offered_total, line_code)",
        multi=True,
        description="The line codes whose escalations to count.",
    )
    return dashboard(
        "acd-escalations",
        "ACD escalations",
        "Escalations to the escalation points, refused transfers, and the points' ratings.",
        panels,
        [line_code],
        time_from="now-7d",
    )


DASHBOARDS = {
    "acd-wallboard.json": wallboard,
    "acd-trends.json": trends,
    "acd-callbacks.json": callbacks,
    "acd-escalations.json": escalations,
}


def render(name: str) -> str:
    return json.dumps(DASHBOARDS[name](), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] = sys.argv[1:]) -> None:
    target = Path(argv[0]) if argv else DASHBOARDS_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        (target / name).write_text(render(name))
        sys.stdout.write(f"wrote {target / name}\n")


if __name__ == "__main__":
    main()
