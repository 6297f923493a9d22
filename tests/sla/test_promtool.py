"""The Prometheus rules and the exposition, checked by Prometheus' own promtool (Debian's
``prometheus`` package; ./scripts/services installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from foundation.contact import Activity, Outcome, Presence
from sla.callback_metrics import CallbackMetrics
from sla.metrics import EngineMetrics
from sla.prometheus_rules import render
from tests.sla.test_sla_metrics import agent_event, answered_call

pytestmark = pytest.mark.component  # runs a program

PROMETHEUS = Path(__file__).resolve().parents[2] / "config" / "prometheus"
RULES = PROMETHEUS / "rules" / "acd.rules.yml"


def promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: ./scripts/services installs Debian's prometheus "
            "package, which provides it (apt-get install prometheus)"
        )
    return subprocess.run([path, *args], input=stdin, capture_output=True, timeout=120, check=False)


def test_the_committed_rules_are_the_generated_ones():
    assert RULES.read_text() == render(), (
        "config/prometheus/rules/acd.rules.yml is out of date: "
        "python -m sla.prometheus_rules > config/prometheus/rules/acd.rules.yml"
    )


def test_promtool_accepts_the_rules():
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def test_the_rules_unit_tests_pass():
    done = promtool("test", "rules", str(PROMETHEUS / "tests" / "acd_rules_test.yml"))
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def test_the_exposition_after_traffic_passes_promtool_check_metrics():
    metrics = EngineMetrics()
    CallbackMetrics(metrics.registry).completed("1700", within_deadline=True)
    metrics.declare_lines([("1700", "Wonen en energie")])
    metrics.watch_ari(lambda: True)
    metrics.watch_lines(lambda now: {"1700": True})
    metrics.agent_event(agent_event("a1", Presence.NOT_AVAILABLE, Activity.IDLE, 0, "lunch"))
    answered_call(metrics, "c1", "a2", 0).end(Outcome.ANSWERED, 100)
    done = promtool("check", "metrics", stdin=metrics.render())
    # promtool prints lint findings and exits non-zero on any.
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert done.stdout.decode() + done.stderr.decode() == ""


def test_the_example_prometheus_config_is_valid():
    done = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
