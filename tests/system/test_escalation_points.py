"""The escalation points in the running engine: seeded from escalation_points.yaml into the
SQL store at start, offered to an agent on a call over HTTP, and an edit made through the API
kept over a restart (the file seeds the store; it does not overwrite it)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.system.harness import system


async def _json(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body) as r:
        return r.status, await r.json()


async def test_points_are_seeded_offered_to_the_agent_and_edits_survive_a_restart(tmp_path):
    storage = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    async with system(tmp_path, storage_url=storage) as s:
        api = s.engine.http_url
        status, body = await _json("get", f"{api}/api/escalation-points")
        assert status == 200
        (point,) = body["escalation_points"]
        assert (point["id"], point["phone_e164"]) == ("anb-jacht", "+3225532100")

        s.login("1001")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller))
        status, options = await _json("get", f"{api}/api/agents/1001/escalations")
        assert status == 200
        assert options["line_code"] == "1700 Andere Vragen"
        (offered,) = options["escalation_points"]
        assert offered["phone_transfer"]["possible"] is True  # reachable around the clock

        point["instructions"] = "Bel eerst het secretariaat."
        status, _ = await _json("put", f"{api}/api/escalation-points/anb-jacht", point)
        assert status == 200

    async with system(tmp_path, storage_url=storage) as s:
        status, body = await _json("get", f"{s.engine.http_url}/api/escalation-points/anb-jacht")
        assert (status, body["instructions"]) == (200, "Bel eerst het secretariaat.")
