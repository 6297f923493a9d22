"""The ``acd`` command as a user runs it: help for every command, config checks, the demo."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from acd.cli import main
from acd.demo import DemoOptions, run_demo

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


@pytest.mark.unit
@pytest.mark.parametrize("command", [[], ["run"], ["emulator"], ["demo"], ["check-config"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: acd" in capsys.readouterr().out


@pytest.mark.unit
def test_check_config_summarises_the_shipped_example(capsys):
    assert main(["check-config", str(CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "3 lines" in out
    assert "12 agents" in out


@pytest.mark.unit
def test_check_config_names_file_key_and_reason_and_exits_2(tmp_path, capsys):
    broken = tmp_path / "config"
    shutil.copytree(CONFIG, broken)
    lines = broken / "lines.yaml"
    lines.write_text(lines.read_text().replace('numbers: ["1702"]', 'numbers: ["17OO"]'))
    assert main(["check-config", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "config/lines.yaml: lines[2].numbers[0]: '17OO' is not a dialable number" in err


@pytest.mark.system
def test_demo_json_summary_adds_up():
    options = DemoOptions(minutes=20, calls_per_hour=150, quiet=True, escalate_share=0.3)
    summary = run_demo(CONFIG, options)
    assert summary["offered"] > 20
    # Agents transferred callers over the emulated trunk and mailed questions to the demo's
    # SMTP sink and CRM webhook: every accepted mail was delivered; what the points do not take
    # (outside a point's hours, no phone number) was refused with a reason, never lost.
    assert summary["escalations_phone"] >= 1
    assert 1 <= summary["other_outcomes"].get("escalated_phone", 0) <= summary["escalations_phone"]
    assert summary["escalations_email"] >= 1
    assert summary["escalation_mails_delivered"] == summary["escalations_email"]
    assert summary["escalation_mails_waiting"] == 0
    assert summary["escalations_refused"] >= 1
    left_otherwise = sum(summary["other_outcomes"].get(o, 0) for o in ("callback_requested",))
    assert summary["offered"] == (
        summary["answered"] + summary["abandoned"] + left_otherwise + summary["still_waiting"]
    )
    assert summary["callbacks_requested"] <= summary["callbacks_offered"]
    assert summary["callbacks_within_deadline"] <= summary["callbacks_completed"]
    assert summary["contacts_recorded"] >= summary["offered"]  # every contact reached SQL
    assert 0.0 < summary["answer_rate"] <= 1.0
    assert summary["average_speed_of_answer_s"] >= 0.0
    # The service level counts only answered calls within 20 s: never above the answer rate.
    assert 0.0 <= summary["service_level"] <= summary["answer_rate"]
    assert summary["service_level"] <= summary["service_level_without_short_abandons"]
    assert 0.0 < summary["occupancy"] <= 1.0


@pytest.mark.system
def test_demo_reports_survey_answers_and_recordings():
    """The demo's callers answer the survey on 1700 (some hang up half-way) and a share of its
    calls is recorded: the figures come from the stores, the files from the emulator."""
    options = DemoOptions(minutes=20, calls_per_hour=150, seed=1700, quiet=True)
    summary = run_demo(CONFIG, options)
    assert summary["survey_respondents"] > 0
    # Four questions at most per respondent, at least one each.
    assert summary["survey_respondents"] <= summary["survey_responses"]
    assert summary["survey_responses"] <= 4 * summary["survey_respondents"]
    means = summary["survey_mean"]
    assert set(means) == {"waiting_time", "politeness", "information", "recommend"}
    assert all(1.0 <= mean <= 10.0 for mean in means.values()), means
    assert summary["recordings"] > 0
    assert summary["recording_files"] == summary["recordings"]  # every one ended with its call
    assert summary["recordings"] < summary["answered"]  # a share, not every call


@pytest.mark.system
def test_demo_command_prints_one_json_object():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "acd.cli",
            "demo",
            "--minutes",
            "5",
            "--json",
            "--config",
            str(CONFIG),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = json.loads(proc.stdout)
    assert {
        "offered",
        "answered",
        "abandoned",
        "answer_rate",
        "average_speed_of_answer_s",
    } <= summary.keys()
    assert {
        "callbacks_offered",
        "callbacks_requested",
        "callbacks_completed",
        "callbacks_within_deadline",
    } <= summary.keys()
    assert {"survey_responses", "survey_respondents", "survey_mean", "recordings"} <= summary.keys()


@pytest.mark.unit
def test_run_takes_the_redis_url_and_node_id_from_the_command_line():
    from acd.cli import _overrides
    from acd.cli_parsers import build_parser
    from acd.settings import load_settings

    args = build_parser().parse_args(
        ["run", "--redis-url", "redis://10.0.0.5:6379/0", "--node-id", "node-b"]
    )
    settings = load_settings(CONFIG, overrides=_overrides(args))
    assert settings.redis is not None
    assert (settings.redis.url, settings.redis.node_id) == ("redis://10.0.0.5:6379/0", "node-b")


@pytest.mark.unit
def test_demo_with_nodes_needs_a_redis(capsys):
    assert main(["demo", "--nodes", "2", "--config", str(CONFIG)]) == 2
    assert "--nodes takes 2 or more, with --redis URL" in capsys.readouterr().err


@pytest.mark.system
def test_demo_with_two_nodes_prints_one_json_object_and_exits_0():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "acd.cli",
            "demo",
            "--nodes",
            "2",
            "--redis",
            "redis://127.0.0.1:6379/0",
            "--minutes",
            "5",
            "--json",
            "--config",
            str(CONFIG),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,  # exit 1 if a double offer or a lost contact was counted
    )
    summary = json.loads(proc.stdout)
    assert {"offered", "answered", "abandoned", "double_offers", "lost", "per_node"} <= set(summary)
    assert (summary["double_offers"], summary["lost"]) == (0, 0)
