"""The Grafana dashboards proven against a real Prometheus (Grafana itself is not in Debian's
archive): after an emulator scenario that touches every panel (answered and abandoned calls, a
virtual-hold callback made, a transfer to an escalation point, its rating, a refused transfer),
every panel's query, with its template variables resolved as Grafana resolves them, evaluated
by Prometheus, returns series, each labelled as the panel's legend expects.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callbacks import CallbackStatus
from emulator import CallerScript, DtmfPress, EndpointBehaviour
from foundation.contact import Outcome
from sla.grafana import DASHBOARDS_DIR
from tests.system.harness import System, system
from tests.system.prometheus import Prometheus, scraping

pytestmark = pytest.mark.system

IVR = Path(__file__).parent / "config_ivr"
TUESDAY_10H = datetime(2027, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
CITIZEN = "cb32470123456"  # the emulator's phone for +32 470 12 34 56 (callback_dial)
POINT, POINT_NUMBER = "anb-jacht", "+3225532100"
LINE = "1706"  # virtual hold; agent 1006 serves it
# What Grafana puts for its built-in intervals: concrete values, as it would send them.
BUILT_INS = {"__rate_interval": "1m", "__range": "1h", "__interval": "15s"}


async def scenario(s: System, prom: Prometheus) -> None:
    # A caller accepts a callback at 151 s while nobody is logged in; another gives up.
    script = CallerScript(dtmf=(DtmfPress(151.0, "1"), DtmfPress(157.0, "1")))
    held = s.emu.pbx.place_call(LINE, caller_number="0470123456", script=script)
    await s.wait(60)
    gone = s.emu.pbx.place_call(LINE, caller_number="0470555555")
    await s.wait(40)
    s.emu.pbx.hangup_from_phone(gone)
    await s.until(lambda: not s.channel_exists(held), timeout_s=240)
    await s.wait(300)  # the dialer counts open callbacks every 5 minutes
    # The callback is open (waiting for an agent); Prometheus sees its series at 0 before it
    # is made, so the made one counts as an increase (a series first seen at 1 would not).
    await asyncio.to_thread(prom.until, "sum(acd_callbacks_open)", 1, "open callback")
    await asyncio.to_thread(
        prom.until, f'sum(acd_callbacks_completed_total{{line="{LINE}"}})', 0, "callback series"
    )
    s.login("1006")  # the held caller's turn: the agent first, then the citizen
    (callback,) = await s.engine.callbacks.list()
    for _ in range(240):
        if (await s.engine.callbacks.get(callback.id)).status is CallbackStatus.COMPLETED:  # type: ignore[union-attr]
            break
        await s.wait(1)
    await s.until(lambda: not s.emu.pbx.channels, timeout_s=240)
    await s.wait(15)  # wrap-up over

    # An answered call transferred to the escalation point, which rates it.
    caller = s.emu.pbx.place_call(LINE, caller_number="0470222222")
    await s.until(lambda: s.bridged_agent(caller) == "1006")
    await s.wait(20)
    transfer = await s.api("POST", "/api/agents/1006/transfer", {"point_id": POINT})
    assert transfer[0] == 202, transfer
    await s.until(lambda: s.bridged_agent(caller) == "trunk")
    await s.until(lambda: not s.emu.pbx.channels, timeout_s=120)
    record = next(r for r in await s.records() if r.outcome is Outcome.ESCALATED_PHONE)
    rating = {"point_id": POINT, "rater": "An Peeters", "clarity": 4, "completeness": 2}
    rated = await s.api(
        "POST", f"/api/escalations/{record.id}/rating", {**rating, "correctness": 5}
    )
    assert rated[0] == 201, rated
    await s.wait(15)

    # A transfer the point no longer takes is refused; the agent finishes the call.
    point = (await s.api("GET", f"/api/escalation-points/{POINT}"))[1]
    assert (
        await s.api("PUT", f"/api/escalation-points/{POINT}", {**point, "may_transfer": False})
    )[0] == 200
    caller = s.emu.pbx.place_call(LINE, caller_number="0470333333")
    await s.until(lambda: s.bridged_agent(caller) == "1006")
    await s.wait(10)
    refused = await s.api("POST", "/api/agents/1006/transfer", {"point_id": POINT})
    assert refused[0] == 409, refused
    s.emu.pbx.hangup_from_phone(caller)
    await s.until(lambda: not s.engine.core.contacts)
    await s.wait(15)


def resolve_variables(
    prom: Prometheus, board: Mapping[str, Any], chosen: Mapping[str, str]
) -> dict[str, str]:
    """Each template variable as Grafana sets it: All (the variable's allValue) where it
    offers All, else the value a supervisor chose from those its query lists; later
    variables' queries see the earlier ones'."""
    values = dict(BUILT_INS)
    for variable in board["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["query"])
        assert match, variable["query"]
        listed = prom.label_values(match.group(2), substitute(match.group(1), values))
        assert listed, f"{board['uid']}: variable {variable['name']} lists nothing"
        if variable["includeAll"]:
            values[variable["name"]] = variable["allValue"]
        else:
            assert chosen[variable["name"]] in listed, (variable["name"], listed)
            values[variable["name"]] = chosen[variable["name"]]
    return values


def substitute(expr: str, values: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in values, f"no value for ${name} in {expr}"
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, expr)


def legend_labels(legend: str) -> set[str]:
    return set(re.findall(r"\{\{\s*(\w+)\s*\}\}", legend))


async def test_every_panel_query_returns_the_series_its_legend_expects(tmp_path):
    phones = {CITIZEN: EndpointBehaviour.answer(2.0, hangup_after_s=30.0)}
    trunk = {POINT_NUMBER: EndpointBehaviour.answer(3.0, hangup_after_s=20.0)}
    async with (
        system(tmp_path, config=IVR, start=TUESDAY_10H, phones=phones, trunk=trunk) as s,
        scraping(s, tmp_path) as prom,
    ):
        await scenario(s, prom)
        # Prometheus has scraped the end of the scenario (its last step: the refusal) and
        # evaluated the rules over it.
        await asyncio.to_thread(prom.until, "sum(acd_transfers_refused_total)", 1, "refused")
        # (Recorded increases are extrapolated a little: 2 answered may read 2.03.)
        answered = f'sum(line:acd_answered:increase15m{{line="{LINE}"}}) > 1.5'
        await asyncio.to_thread(prom.until, f"count({answered})", 1, "answered")
        await asyncio.to_thread(prom.until, "sum(acd_escalation_ratings)", 1, "rated")

        empty, mislabelled, seen = [], [], {}
        for path in sorted(DASHBOARDS_DIR.glob("*.json")):
            board = json.loads(path.read_text())
            values = resolve_variables(prom, board, {"line": LINE})
            for panel in board["panels"]:
                for target in panel["targets"]:
                    where = f"{board['uid']} / {panel['title']} / {target['legendFormat']}"
                    result = prom.query(substitute(target["expr"], values))
                    if not result:
                        empty.append(where)
                    for series in result:
                        labels = set(series["metric"]) - {"__name__"}
                        if labels != legend_labels(target["legendFormat"]):
                            mislabelled.append(f"{where}: {series['metric']}")
                        seen[where, json.dumps(series["metric"], sort_keys=True)] = float(
                            series["value"][1]
                        )
        assert empty == []
        assert mislabelled == []

    # A few values a supervisor would check against what happened.
    def value(where: str, **labels: str) -> float:
        return seen[where, json.dumps(labels, sort_keys=True)]

    answer_rate = "acd-wallboard / Answer rate (15 min) / {{line}}"
    assert value(answer_rate, line=LINE) == pytest.approx(2 / 3)  # 2 answered, 1 gave up
    assert (
        value("acd-wallboard / Waiting now / {{line_code}}", line_code="Test Virtuele Wacht") == 0
    )
    within = "acd-callbacks / Made within the deadline / within deadline"
    assert value(within) == 1
    ratings = "acd-escalations / Ratings: averages per point / {{point}} {{criterion}}"
    assert value(ratings, point=POINT, criterion="completeness") == 2
    by_point = "acd-escalations / Escalations by point, channel and outcome"
    connected = {"point": POINT, "channel": "phone", "outcome": "connected"}
    assert value(f"{by_point} / {{{{point}}}} {{{{channel}}}} {{{{outcome}}}}", **connected) > 0.5
    refused = "acd-escalations / Refused transfers by reason / {{point}}: {{reason}}"
    assert value(refused, point=POINT, reason="transfer_not_allowed") > 0.5
