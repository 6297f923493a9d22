"""The escalation points in the running engine: seeded from escalation_points.yaml into the
SQL store at start, offered to an agent on a call over HTTP, and an edit made through the API
kept over a restart (the file seeds the store; it does not overwrite it)."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from emulator import EndpointBehaviour
from foundation.contact import Activity, Outcome
from tests.system.harness import system


async def test_points_are_seeded_offered_to_the_agent_and_edits_survive_a_restart(tmp_path):
    storage = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    async with system(tmp_path, storage_url=storage) as s:
        status, body = await s.api("get", "/api/escalation-points")
        assert status == 200
        (point,) = body["escalation_points"]
        assert (point["id"], point["phone_e164"]) == ("anb-jacht", "+3225532100")

        s.login("1001")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller))
        status, options = await s.api("get", "/api/agents/1001/escalations")
        assert status == 200
        assert options["line_code"] == "1700 Andere Vragen"
        (offered,) = options["escalation_points"]
        assert offered["phone_transfer"]["possible"] is True  # reachable around the clock

        point["instructions"] = "Bel eerst het secretariaat."
        status, _ = await s.api("put", "/api/escalation-points/anb-jacht", point)
        assert status == 200

    async with system(tmp_path, storage_url=storage) as s:
        status, body = await s.api("get", "/api/escalation-points/anb-jacht")
        assert (status, body["instructions"]) == (200, "Bel eerst het secretariaat.")


async def test_a_transfer_through_the_api_reaches_the_point_over_the_trunk(tmp_path):
    trunk = {"+3225532100": EndpointBehaviour.answer(3.0, hangup_after_s=60.0)}
    async with system(tmp_path, trunk=trunk) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller) == "1001")
        status, body = await s.api("post", "/api/agents/1001/transfer", {"point_id": "anb-jacht"})
        assert (status, body["number"]) == (202, "+3225532100")
        await s.until(lambda: s.bridged_agent(caller) == "trunk")
        assert s.agent("1001").activity is Activity.WRAP_UP
        await s.until(lambda: not s.emu.pbx.channels)
        (record,) = await s.records()
        assert (record.outcome, record.escalation_point) == (Outcome.ESCALATED_PHONE, "anb-jacht")


async def test_a_refused_transfer_is_counted_by_reason(tmp_path):
    async with system(tmp_path) as s:
        api = s.engine.http_url
        point = (await s.api("get", "/api/escalation-points/anb-jacht"))[1]
        point["may_transfer"] = False
        assert (await s.api("put", "/api/escalation-points/anb-jacht", point))[0] == 200
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller) == "1001")
        status, body = await s.api("post", "/api/agents/1001/transfer", {"point_id": "anb-jacht"})
        assert (status, body["error"]) == (409, "transfer_not_allowed")
        async with (
            aiohttp.ClientSession(headers=s.headers) as session,
            session.get(f"{api}/metrics") as r,
        ):
            text = await r.text()
        samples = {
            (sample.labels["point"], sample.labels["reason"]): sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "acd_transfers_refused"
            for sample in family.samples
            if sample.name.endswith("_total")
        }
        # Every reason of the point is there from the start (at 0): only this one counted.
        assert {key: value for key, value in samples.items() if value} == {
            ("anb-jacht", "transfer_not_allowed"): 1.0
        }
        assert ("anb-jacht", "outside_reachability") in samples
        assert s.bridged_agent(caller) == "1001"  # the caller stays with the agent
