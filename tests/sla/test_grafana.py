"""The Grafana dashboards: the committed JSON is what sla.grafana generates, every query names
only series that exist (exposed by the engine, or recorded by config/prometheus's rules), and
the provisioning files point at what the dashboards use.  tests/system/test_dashboards.py
evaluates the queries in a real Prometheus."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from escalations.ratings import RatingMetrics
from sla.callback_metrics import CallbackMetrics
from sla.grafana import DASHBOARDS, DASHBOARDS_DIR, DATASOURCE, ROOT, render
from sla.metrics import EngineMetrics
from sla.prometheus_rules import rules

PROVISIONING = ROOT / "config" / "grafana" / "provisioning"
# PromQL words that look like series names.
KEYWORDS = frozenset({"and", "or", "unless", "offset", "bool", "inf", "nan"})


def exposed_series(registry: CollectorRegistry) -> set[str]:
    """Every sample name the registry exposes, also of families with no series yet."""
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "info": ("_info",),
        "gauge": ("",),
    }
    return {
        family.name + suffix for family in registry.collect() for suffix in suffixes[family.type]
    }


def engine_series() -> set[str]:
    metrics = EngineMetrics()
    metrics.watch_lines(lambda now: {"1700": True})
    CallbackMetrics(metrics.registry)
    RatingMetrics(metrics.registry)
    return exposed_series(metrics.registry)


def recorded_series() -> set[str]:
    return {
        rule["record"] for group in rules()["groups"] for rule in group["rules"] if "record" in rule
    }


def series_in(expr: str) -> set[str]:
    """The series names a PromQL expression (or a label_values() variable query) reads."""
    variable = re.fullmatch(r"label_values\(\s*([\w:]+).*\)", expr)
    if variable:
        return {variable.group(1)}
    text = re.sub(r'"[^"]*"', "", expr)  # label values
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)  # matchers, ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = re.findall(r"(?<![\w:.])([a-zA-Z_:][\w:]*)\b(?!\s*\()", text)
    return {name for name in names if name.lower() not in KEYWORDS}


def dashboard_queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, query) of every panel target and template variable."""
    found = [
        (f"{board['uid']} / {panel['title']} / {target['refId']}", target["expr"])
        for panel in board["panels"]
        for target in panel["targets"]
    ]
    found += [
        (f"{board['uid']} / variable {v['name']}", v["query"]) for v in board["templating"]["list"]
    ]
    return found


def committed() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_the_committed_dashboards_are_the_generated_ones(name: str) -> None:
    assert (DASHBOARDS_DIR / name).read_text() == render(name), (
        f"config/grafana/dashboards/{name} is out of date: python -m sla.grafana"
    )


def test_no_stale_dashboard_is_left_in_the_folder() -> None:
    assert set(committed()) == set(DASHBOARDS)


def test_the_dashboards_reference_only_existing_series() -> None:
    known = engine_series() | recorded_series()
    unknown = {
        where: sorted(series_in(expr) - known)
        for board in committed().values()
        for where, expr in dashboard_queries(board)
        if series_in(expr) - known
    }
    assert unknown == {}


def test_the_series_finder_finds_a_misspelt_series() -> None:
    # The check above is only as good as this parser: it must see every name in a query.
    expr = (
        'sum by (line) (line_line_code:acd_answered:increase15m{line="$line"}) / '
        '(sum(acd_contacts_waitng{le="20.0"}) + max(acd_oldest_wait_seconds[5m] offset 1h))'
        " and on (line) acd_line_open == 1"
    )
    assert series_in(expr) == {
        "line_line_code:acd_answered:increase15m",
        "acd_contacts_waitng",
        "acd_oldest_wait_seconds",
        "acd_line_open",
    }
    assert "acd_contacts_waitng" not in engine_series()
    assert series_in("histogram_quantile(0.9, sum by (le) (rate(x_bucket[$__rate_interval])))") == {
        "x_bucket"
    }


def test_every_panel_has_a_query_a_title_and_its_own_place() -> None:
    for board in committed().values():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), board["uid"]
        for panel in board["panels"]:
            assert panel["title"], (board["uid"], panel)
            assert panel["targets"], (board["uid"], panel["title"])
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (board["uid"], panel["title"])
    uids = [board["uid"] for board in committed().values()]
    assert len(uids) == len(set(uids))


def test_the_provisioned_data_source_is_the_one_the_dashboards_name() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    (source,) = sources["datasources"]
    assert (source["uid"], source["type"]) == (DATASOURCE["uid"], DATASOURCE["type"])
    for board in committed().values():
        for panel in board["panels"]:
            assert panel["datasource"] == DATASOURCE
            assert all(target["datasource"] == DATASOURCE for target in panel["targets"])


def test_the_dashboard_provider_loads_files_from_a_configured_path() -> None:
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "acd.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "$ACD_GRAFANA_DASHBOARDS"
