"""Quality feedback through the running engine: a caller transferred to an escalation point
through the emulated trunk, the point rates the escalation over the engine's HTTP API, and the
rating is in the report and the point's gauges, again after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from acd.auth.model import Scope
from acd.engine import inputs as inp
from emulator import EndpointBehaviour
from foundation.contact import Outcome
from tests.sla.test_metrics import Exposition
from tests.system.harness import system

POINT, NUMBER = "anb-jacht", "+3225532100"  # tests/system/config/escalation_points.yaml


async def _post(url: str, body: dict[str, Any], token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(url, json=body) as response,
    ):
        return response.status, await response.json()


async def test_the_point_rates_an_escalation_through_the_engines_api(tmp_path: Path) -> None:
    trunk = {NUMBER: EndpointBehaviour.answer(3.0, hangup_after_s=60.0)}
    async with system(tmp_path, trunk=trunk) as s:
        s.login("1002")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller) == "1002")
        s.engine.runtime.submit(inp.TransferRequested("1002", POINT, NUMBER))
        await s.until(lambda: not s.emu.pbx.channels)  # the point ends the call
        await s.engine.recorder.flush()
        (record,) = await s.records()
        assert record.outcome is Outcome.ESCALATED_PHONE

        rating = {
            "point_id": POINT,
            "rater": "An Peeters",
            "clarity": 4,
            "completeness": 2,
            "correctness": 5,
            "comment": "Rijksregisternummer ontbrak.",
        }
        url = f"{s.engine.http_url}/api/escalations/{record.id}/rating"
        # The receiving service's CRM holds a token that may rate and nothing else.
        assert s.engine.auth is not None
        _, crm = await s.engine.auth.add_token(
            "anb-crm", frozenset({Scope.ESCALATIONS_RATE}), s.engine.clock.now()
        )
        assert (await _post(url, rating, None))[0] == 401
        status, body = await _post(url, rating, crm)
        assert (status, body["agent_id"], body["channel"]) == (201, "1002", "phone")
        seen = Exposition(s.engine.metrics)
        assert seen("acd_escalation_rating_average", point=POINT, criterion="completeness") == 2

    async with system(tmp_path) as again:  # the same database, a new engine
        seen = Exposition(again.engine.metrics)
        assert seen("acd_escalation_ratings", point=POINT) == 1
        assert seen("acd_escalation_rating_average", point=POINT, criterion="clarity") == 4
