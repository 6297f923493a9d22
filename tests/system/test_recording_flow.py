"""Call recording through the emulator: every call of the line recorded from the bridge,
named by the contact, with its metadata in SQL; the caller hears it may be recorded first."""

from __future__ import annotations

from datetime import timedelta

from acd.quality.recordings import RecordingStore
from tests.system.harness import START, system
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
