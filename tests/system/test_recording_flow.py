"""Call recording through the emulator: every call of the line recorded from the bridge,
named by the contact, with its metadata in SQL; the caller hears it may be recorded first."""

from __future__ import annotations

from datetime import timedelta

from acd.quality.recordings import RecordingStore
from tests.auth.client import add_users, browser
from tests.system.harness import START, system
from tests.system.recorded import add_reporting_users, record_one_call
from tests.system.test_survey_flow import SURVEY


async def test_a_recorded_call_leaves_a_stored_file_and_its_metadata(tmp_path):
    async with system(tmp_path, config=SURVEY) as s:
        s.login("1002")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller) == "1002")
        assert s.media_played_to(caller)[:2] == ["sound:acd-may-be-recorded", "sound:hello-world"]
        await s.wait(45)
        s.emu.pbx.hangup_from_phone(caller)  # no survey: the caller hangs up first
        await s.until(lambda: not s.emu.pbx.channels)
        (record,) = await s.records()
        name = f"rec-{record.id}"
        (request,) = s.emu.requests("POST", f"/ari/bridges/br-{record.id}/record")
        assert request.query["name"] == name
        stored = s.emu.pbx.media.stored_recording(name)
        assert stored.format == "wav"
        url = s.engine.settings.storage.url
        await s.wait(1)  # the writer's interval (50 ms) has passed
        async with RecordingStore.open(url) as store:
            (row,) = await store.between(START, START + timedelta(days=1))
        assert (row.contact_id, row.agent_id, row.line_code) == (
            record.id,
            "1002",
            "1700 Andere Vragen",
        )
        assert row.ended_at is not None
        assert 44 <= (row.ended_at - row.started_at).total_seconds() <= 46


async def test_recordings_are_listed_to_their_service_and_refused_to_another(tmp_path):
    async with system(tmp_path, config=SURVEY) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await add_reporting_users(s)
        name = await record_one_call(s)
        url = s.engine.http_url or ""
        async with browser(url) as vera, browser(url) as otto, browser(url) as sam:
            for client, user in ((vera, "vera"), (otto, "otto"), (sam, "sam")):
                assert (await client.login(user))[0] == 200
            status, body, _ = await vera.call("GET", "/api/recordings?date=2027-03-30")
            assert status == 200
            assert [(r["name"], r["agent_id"]) for r in body["recordings"]] == [(name, "1002")]
            status, body, _ = await otto.call("GET", f"/api/recordings/{name}")
            assert (status, body["error"]) == (403, "not_your_line")
            query = "/api/recordings?date=2027-03-30&line_code=1700%20Andere%20Vragen"
            assert (await otto.call("GET", query))[0] == 403
            status, body, _ = await otto.call("GET", "/api/recordings?date=2027-03-30")
            assert (status, body["recordings"]) == (200, [])
            status, body, _ = await sam.call("POST", f"/api/recordings/{name}/hold")
            assert (status, body["held"]) == (200, True)
            status, body, _ = await vera.call("POST", f"/api/recordings/{name}/hold")
            assert status == 403  # reporting users listen; supervisors decide what is kept
