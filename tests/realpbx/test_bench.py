"""bench/realpbx_e2e.py on the real Asterisk, at a tiny rate: it runs, its JSON has every
figure docs/performance.md shows, and every caller reached an agent, through the engine (REST
over the WebSocket, beside a second engine with REST over HTTP or with the event filter off)
and through app_queue alike."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.realpbx_e2e import main
from tests.realpbx.conftest import NOT_RUN
from tests.realpbx.harness import AsteriskCannotRunHere

pytestmark = pytest.mark.realpbx


SECOND = {
    "http": "engine office (http, filter on)",
    "filter": "engine office (websocket, filter off)",
}


@pytest.mark.parametrize(("compare", "pin"), [("http", False), ("filter", True)])
def test_the_benchmark_reports_every_figure_and_callers_reach_agents(
    shared_asterisk: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    compare: str,
    pin: bool,
) -> None:
    args = ["--rates", "2", "--seconds", "2", "--agents", "6", "--lines", "office"]
    args += ["--compare", compare, "--idle-seconds", "0.5", "--workdir", str(tmp_path), "--json"]
    processors = os.sched_getaffinity(0)
    try:
        assert main(args + (["--pin"] if pin else [])) == 0
    except AsteriskCannotRunHere as exc:
        pytest.skip(f"{NOT_RUN}: {exc}")
    finally:
        os.sched_setaffinity(0, processors)  # --pin moved this process off the last one
    result = json.loads(capsys.readouterr().out)

    assert result["setup"]["agents"] == 6
    # --pin: the engines on the last processor (their cpu_affinity), the rest elsewhere.
    assert result["setup"]["engine_processors"] == ([max(processors)] if pin else "any")
    assert set(result["idle_cpu_ms_per_s"]) == {"engine", "asterisk"}
    rows = {row["scenario"]: row for row in result["scenarios"]}
    first = "engine office (websocket, filter on)"
    assert list(rows) == [first, SECOND[compare], "app_queue"]
    for name, row in rows.items():
        assert (row["rate"], row["offered"]) == (2, 4), name
        assert row["reached_agent"] == 4, (name, row)
        assert row["asterisk_cpu_ms_per_call"] > 0, name
        assert 0 <= row["bridged_ms_p50"] <= row["bridged_ms_p99"], name
    on, other = rows[first], rows[SECOND[compare]]
    for row in (on, other):
        assert row["engine_cpu_ms_per_call"] > 0
        assert row["rest_requests_per_call"] > 0
        assert row["outcomes"] == {"answered": 4}, row
    if compare == "filter":
        # The filter keeps out what the engine never reads: ChannelVarset and the like.
        assert on["events_per_call"] < other["events_per_call"]
        assert on["event_kb_per_call"] < other["event_kb_per_call"]
    else:
        # Either transport makes the same requests and gets the same events.
        assert on["rest_requests_per_call"] == other["rest_requests_per_call"]
        assert on["events_per_call"] == other["events_per_call"]
    assert "engine_cpu_ms_per_call" not in rows["app_queue"]
