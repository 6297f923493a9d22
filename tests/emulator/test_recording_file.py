"""``GET /recordings/stored/{name}/file``: the stored recording's file as Asterisk 22 sends it
(res/ari/resource_recordings.c, main/http.c): whole, ``audio/<format>``, a ``Range`` ignored,
404 for an unknown or deleted recording; ``recording_file.jsonl`` (a real Asterisk 22.10.1) is
replayed by ``test_trace_replay.py``."""

from __future__ import annotations

import asyncio
import json
import struct
from dataclasses import replace
from pathlib import Path

import aiohttp

from emulator import Emulator, reference_config, run_emulator
from tests.emulator.ari import Ari


async def _recorded(emu: Emulator, ari: Ari, name: str, format: str, seconds: float) -> None:
    events = await ari.events()
    channel_id = emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    await ari.call("POST", f"/channels/{channel_id}/answer")
    await ari.call("POST", "/bridges/b1", type="mixing")
    await ari.call("POST", "/bridges/b1/addChannel", channel=channel_id)
    await ari.call("POST", "/bridges/b1/record", name=name, format=format)
    await asyncio.sleep(seconds)
    await ari.call("POST", f"/recordings/live/{name}/stop")
    await events.close()


async def _file(
    session: aiohttp.ClientSession, emu: Emulator, name: str, range_: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": aiohttp.encode_basic_auth(emu.username, emu.password)}
    if range_ is not None:
        headers["Range"] = range_
    url = f"{emu.url}/ari/recordings/stored/{name}/file"
    async with session.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def test_the_file_is_sent_whole_whatever_range_is_asked(tmp_path: Path) -> None:
    config = replace(reference_config(), recordings_dir=tmp_path / "recording")
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        await _recorded(emu, Ari(emu, session), "rec-c1", "wav", 2.0)
        on_disk = (tmp_path / "recording" / "rec-c1.wav").read_bytes()

        status, headers, body = await _file(session, emu, "rec-c1")
        assert (status, headers["Content-Type"], body) == (200, "audio/wav", on_disk)
        assert headers["Content-Length"] == str(44 + 2 * 16000)
        assert headers["Cache-Control"] == "no-cache, no-store"
        assert "Accept-Ranges" not in headers

        for asked in ("bytes=0-99", "bytes=100-", "bytes=999999999-"):
            status, headers, body = await _file(session, emu, "rec-c1", asked)
            assert (status, body) == (200, on_disk), asked
            assert "Content-Range" not in headers


async def test_without_a_directory_the_file_is_the_same_silence(tmp_path: Path) -> None:
    async with run_emulator(config=reference_config()) as emu, aiohttp.ClientSession() as session:
        await _recorded(emu, Ari(emu, session), "rec-c2", "wav", 1.5)
        status, headers, body = await _file(session, emu, "rec-c2")
    assert (status, headers["Content-Type"]) == (200, "audio/wav")
    assert (body[:4], body[8:16]) == (b"RIFF", b"WAVEfmt ")
    assert struct.unpack("<I", body[40:44]) == (24000,)
    assert len(body) == 44 + 24000
    assert set(body[44:]) == {0}


async def test_a_gsm_recording_says_audio_gsm(tmp_path: Path) -> None:
    config = replace(reference_config(), recordings_dir=tmp_path)
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        await _recorded(emu, Ari(emu, session), "rec-c3", "gsm", 1.0)
        status, headers, body = await _file(session, emu, "rec-c3")
    assert (status, headers["Content-Type"], len(body)) == (200, "audio/gsm", 1650)


async def test_an_unknown_or_deleted_recording_is_404_as_asterisk_says(tmp_path: Path) -> None:
    config = replace(reference_config(), recordings_dir=tmp_path)
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        ari = Ari(emu, session)
        status, headers, body = await _file(session, emu, "no-such-recording")
        assert (status, json.loads(body)) == (404, {"message": "Recording not found"})
        assert headers["Content-Type"].startswith("application/json")
        await _recorded(emu, ari, "rec-c4", "wav", 1.0)
        assert (await ari.call("DELETE", "/recordings/stored/rec-c4"))[0] == 204
        status, _, body = await _file(session, emu, "rec-c4")
    assert (status, json.loads(body)) == (404, {"message": "Recording not found"})


async def test_a_head_is_refused_as_asterisk_refuses_it(tmp_path: Path) -> None:
    """Asterisk 22 answers HEAD on any ARI path 405 (``recording_file.jsonl``): a client that
    checks a file's size first must GET it."""
    config = replace(reference_config(), recordings_dir=tmp_path)
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        await _recorded(emu, Ari(emu, session), "rec-c5", "wav", 1.0)
        auth = {"Authorization": aiohttp.encode_basic_auth(emu.username, emu.password)}
        url = f"{emu.url}/ari/recordings/stored/rec-c5/file"
        async with session.head(url, headers=auth) as response:
            status, headers = response.status, response.headers
    assert status == 405
    assert headers["Allow"] == "OPTIONS,GET"
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-cache, no-store"


async def test_json_answers_are_compact_and_not_cached_as_asterisk_sends_them() -> None:
    async with run_emulator(config=reference_config()) as emu, aiohttp.ClientSession() as session:
        auth = {"Authorization": aiohttp.encode_basic_auth(emu.username, emu.password)}
        url = f"{emu.url}/ari/recordings/stored/no-such-recording/file"
        async with session.get(url, headers=auth) as response:
            headers, body = response.headers, await response.read()
    assert body == b'{"message":"Recording not found"}'
    assert (headers["Content-Type"], headers["Content-Length"]) == ("application/json", "33")
    assert headers["Cache-Control"] == "no-cache, no-store"
