"""Listening sessions through the emulator and the running engine: a recorded call's audio
served with ranges from one fetch of Asterisk's file, only to those who may hear it, each
listening audited once; quality scores given, validated, replaced and listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from acd.auth.store import AuditQuery
from acd.quality.recordings import RecordingStore
from emulator.recording_files import silence_size
from tests.auth.client import Client, add_users, browser
from tests.system.harness import START, System, system
from tests.system.recorded import add_reporting_users, record_one_call
from tests.system.test_survey_flow import SURVEY


@asynccontextmanager
async def recorded_call(tmp_path: Any) -> AsyncIterator[tuple[System, str]]:
    """The engine with users, and one call of line 1700 (agent 1002) recorded for 20 s."""
    async with system(tmp_path, config=SURVEY) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await add_reporting_users(s)
        yield s, await record_one_call(s)


async def audio(
    client: Client, name: str, range_: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Range": range_} if range_ is not None else {}
    async with client.http.get(
        f"{client.base}/api/recordings/{name}/audio", headers=headers
    ) as response:
        return response.status, dict(response.headers), await response.read()


async def test_the_audio_is_served_whole_and_in_ranges_from_one_fetch(tmp_path):
    async with recorded_call(tmp_path) as (s, name), browser(s.engine.http_url or "") as sam:
        await sam.login("sam")
        stored = s.emu.pbx.media.stored_recording(name)
        size = silence_size("wav", stored.duration_s)  # what the emulator stores: 16-bit 8 kHz
        assert 20 * 16000 < size < 21 * 16000
        status, headers, whole = await audio(sam, name)
        assert (status, headers["Content-Type"], len(whole)) == (200, "audio/wav", size)
        assert headers["Accept-Ranges"] == "bytes"
        assert whole[:4] == b"RIFF"

        status, headers, part = await audio(sam, name, "bytes=0-99")
        assert (status, headers["Content-Range"], part) == (
            206,
            f"bytes 0-99/{size}",
            whole[:100],
        )
        status, headers, rest = await audio(sam, name, "bytes=100-")
        assert (status, headers["Content-Range"]) == (206, f"bytes 100-{size - 1}/{size}")
        assert rest == whole[100:]
        status, headers, last = await audio(sam, name, "bytes=-44")
        assert (status, last) == (206, whole[-44:])

        status, headers, _ = await audio(sam, name, f"bytes={size}-")
        assert (status, headers["Content-Range"]) == (416, f"bytes */{size}")
        # Asterisk sends the whole file at each ask: it was asked once.
        assert len(s.emu.requests("GET", f"/ari/recordings/stored/{name}/file")) == 1


async def test_only_the_lines_supervisors_and_its_services_reporting_users_hear_it(tmp_path):
    async with recorded_call(tmp_path) as (s, name):
        url = s.engine.http_url or ""
        expected = {
            "sam": (200, None),  # supervises 1700
            "ada": (200, None),  # admin
            "vera": (200, None),  # reporting, 1700's service
            "otto": (403, "not_your_line"),  # reporting, another service
            "nel": (403, "not_your_line"),  # a supervisor of no line
            "bart": (403, "role_refused"),  # the agent of the call
        }
        for user, (wanted, error) in expected.items():
            async with browser(url) as client:
                assert (await client.login(user))[0] == 200
                status, _, body = await audio(client, name)
                assert status == wanted, user
                if error is not None:
                    assert error.encode() in body, user


async def test_each_listening_is_audited_once_not_each_range(tmp_path):
    async with recorded_call(tmp_path) as (s, name):
        assert s.engine.auth is not None
        url = s.engine.http_url or ""
        async with browser(url) as sam, browser(url) as vera, browser(url) as otto:
            for client, user in ((sam, "sam"), (vera, "vera"), (otto, "otto")):
                await client.login(user)
            await audio(sam, name, "bytes=0-")  # the player starts
            await audio(sam, name, "bytes=150000-")  # a seek
            await audio(sam, name, "bytes=0-")  # a replay, the same listening
            await audio(vera, name)
            await audio(otto, name)  # refused: not a listen
            query = AuditQuery(action="recording.listen")
            entries = await s.engine.auth.audit_entries(query)
            assert sorted((e.actor, e.role, e.target, e.lines) for e in entries) == [
                ("sam", "supervisor", f"recording {name}", ("1700",)),
                ("vera", "reporting", f"recording {name}", ("1700",)),
            ]
            await s.wait(601)  # a new listening session
            await audio(sam, name, "bytes=0-")
            assert len(await s.engine.auth.audit_entries(query)) == 3


async def test_an_unknown_deleted_or_vanished_recording_is_404_saying_which(tmp_path):
    async with recorded_call(tmp_path) as (s, name), browser(s.engine.http_url or "") as sam:
        await sam.login("sam")
        status, _, body = await audio(sam, "rec-nobody")
        assert status == 404
        assert b"recording_not_found" in body
        # The file gone from Asterisk while its row says nothing: the PBX's 404 passed on.
        s.emu.pbx.media.delete_stored(name)
        status, _, body = await audio(sam, name)
        assert status == 404
        assert b"recording_file_missing" in body
        async with RecordingStore.open(s.engine.settings.storage.url) as store:
            await store.mark_deleted(name, START + timedelta(days=91))
        status, _, body = await audio(sam, name)
        assert status == 404
        assert b"recording_deleted" in body
        assert b"2027-06-29" in body
        assert s.engine.auth is not None  # none of these was a listen
        assert await s.engine.auth.audit_entries(AuditQuery(action="recording.listen")) == []


async def test_scores_are_validated_replaced_per_scorer_and_listed(tmp_path):
    async with recorded_call(tmp_path) as (s, name):
        url = s.engine.http_url or ""
        async with browser(url) as sam, browser(url) as vera, browser(url) as otto:
            for client, user in ((sam, "sam"), (vera, "vera"), (otto, "otto")):
                await client.login(user)
            path = f"/api/recordings/{name}/score"
            good = {"greeting": 4, "correctness": 5, "completeness": 3, "tone": 4}
            status, body, _ = await vera.call("POST", path, {"scores": good, "comment": "ok"})
            assert status == 200
            assert [(g["scorer"], g["scores"], g["comment"]) for g in body["scores"]] == [
                ("vera", good, "ok")
            ]
            better = {**good, "completeness": 5}
            status, body, _ = await vera.call("POST", path, {"scores": better})
            assert [(g["scorer"], g["scores"]["completeness"]) for g in body["scores"]] == [
                ("vera", 5)
            ]
            assert (await sam.call("POST", path, {"scores": good}))[0] == 200

            refusals = [
                ({"greeting": 4, "correctness": 5, "completeness": 3}, "scores.tone: required"),
                ({**good, "tone": 6}, "scores.tone: must be from 1 to 5"),
                ({**good, "greeting": 0}, "scores.greeting: must be from 1 to 5"),
                ({**good, "speed": 3}, "scores.speed: is not a criterion"),
            ]
            for scores, message in refusals:
                status, body, _ = await sam.call("POST", path, {"scores": scores})
                assert (status, body["error"], body["message"]) == (422, "invalid_score", message)
            status, body, _ = await sam.call("POST", path, {"scores": {"tone": "loud"}})
            assert (status, body["error"]) == (422, "invalid_score")
            assert "scores.tone" in body["message"]
            status, body, _ = await otto.call("POST", path, {"scores": good})
            assert (status, body["error"]) == (403, "not_your_line")

            status, body, _ = await sam.call("GET", f"/api/recordings/{name}")
            assert sorted(g["scorer"] for g in body["scores"]) == ["sam", "vera"]
            status, body, _ = await sam.call("GET", "/api/recordings?date=2027-03-30")
            assert [(r["name"], r["scored"]) for r in body["recordings"]] == [(name, 2)]
            assert s.engine.auth is not None
            scored = await s.engine.auth.audit_entries(AuditQuery(action="recording.score"))
            assert {(e.actor, e.outcome, e.lines) for e in scored} >= {
                ("sam", 200, ("1700",)),
            }
