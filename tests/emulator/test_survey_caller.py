"""Simulated callers who answer the survey after the call, and the files bridge recordings
leave behind (silence of the recording's length, as Asterisk's spool holds real audio)."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator import CallerScript, SurveyAnswers, reference_config, run_emulator
from tests.emulator.ari import Ari, EventStream

QUESTIONS = ("sound:acd-survey-wait", "sound:acd-survey-polite", "sound:acd-survey-info")


async def _answered_caller(ari: Ari, survey: SurveyAnswers) -> tuple[str, EventStream]:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700", script=CallerScript(survey=survey))
    await events.wait_for("StasisStart")
    await ari.call("POST", f"/channels/{channel_id}/answer")
    return channel_id, events


async def _ask(ari: Ari, events: EventStream, channel_id: str, pid: str, *media: str) -> float:
    """Play ``media`` to the caller; return the loop time it finished."""
    status, _ = await ari.call("POST", f"/channels/{channel_id}/play/{pid}", media=",".join(media))
    assert status == 201
    await events.wait_for("PlaybackFinished", playback__id=pid)
    return asyncio.get_running_loop().time()


async def _keys(events: EventStream, n: int) -> list[dict[str, Any]]:
    return [await events.wait_for("ChannelDtmfReceived") for _ in range(n)]


async def test_the_caller_keys_each_questions_score_after_the_question_ends(ari: Ari) -> None:
    survey = SurveyAnswers(QUESTIONS, (7, 10, 3), answer_after_s=1.0)
    channel_id, events = await _answered_caller(ari, survey)
    loop = asyncio.get_running_loop()
    # The intro plays with the first question: the caller answers once it has played out.
    ended = await _ask(ari, events, channel_id, "p1", "sound:acd-survey-intro", QUESTIONS[0])
    (seven,) = await _keys(events, 1)
    assert seven["digit"] == "7"
    assert abs(loop.time() - ended - 1.28) < 0.01
    await _ask(ari, events, channel_id, "p2", QUESTIONS[1])
    assert [e["digit"] for e in await _keys(events, 2)] == ["1", "0"]  # 10 as 1 then 0
    # Asked again (after a wrong key or a timeout): the same score again.
    await _ask(ari, events, channel_id, "p3", "sound:acd-survey-invalid", QUESTIONS[1])
    assert [e["digit"] for e in await _keys(events, 2)] == ["1", "0"]
    await _ask(ari, events, channel_id, "p4", QUESTIONS[2])
    assert [e["digit"] for e in await _keys(events, 1)] == ["3"]
    # Other prompts (the thanks) get no key.
    await _ask(ari, events, channel_id, "p5", "sound:acd-survey-thanks")
    await asyncio.sleep(10)
    assert "ChannelDtmfReceived" not in events.types()  # the six keys above were all
    assert channel_id in ari.emu.pbx.channels


async def test_a_caller_with_fewer_scores_hangs_up_half_way(ari: Ari) -> None:
    survey = SurveyAnswers(QUESTIONS, (10, 2), ten_as="*", answer_after_s=1.0)
    channel_id, events = await _answered_caller(ari, survey)
    await _ask(ari, events, channel_id, "p1", QUESTIONS[0])
    assert [e["digit"] for e in await _keys(events, 1)] == ["*"]  # 10 keyed as *
    await _ask(ari, events, channel_id, "p2", QUESTIONS[1])
    assert [e["digit"] for e in await _keys(events, 1)] == ["2"]
    loop = asyncio.get_running_loop()
    ended = await _ask(ari, events, channel_id, "p3", QUESTIONS[2])
    await events.wait_for("StasisEnd", channel__id=channel_id)
    assert abs(loop.time() - ended - 1.0) < 0.01
    assert "ChannelDtmfReceived" not in events.types()  # no key for the third question


def test_survey_answers_from_plain_data_and_their_mistakes() -> None:
    script = CallerScript.from_dict(
        {"talk_s": 60, "survey": {"questions": list(QUESTIONS), "scores": [4, 10], "ten_as": "*"}}
    )
    assert script.survey == SurveyAnswers(QUESTIONS, (4, 10), "*", 1.5)
    assert script.survey.keys_for(["sound:other"]) is None
    assert script.survey.keys_for([QUESTIONS[1]]) == "*"
    assert script.survey.keys_for([QUESTIONS[2]]) == ""
    with pytest.raises(ValueError, match=r"survey.scores\[1\]: 11 is not a score from 1 to 10"):
        SurveyAnswers(QUESTIONS, (4, 11))
    with pytest.raises(ValueError, match=r"survey\.ten_as"):
        SurveyAnswers(QUESTIONS, (4,), ten_as="#")
    with pytest.raises(ValueError, match=r"survey\.questions: required"):
        CallerScript.from_dict({"survey": {"scores": [1]}})


async def test_a_bridge_recording_leaves_a_silent_file_until_deleted(tmp_path: Path) -> None:
    config = replace(reference_config(), recordings_dir=tmp_path / "recording")
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        ari = Ari(emu, session)
        events = await ari.events()
        channel_id = emu.pbx.place_call("1700")
        await events.wait_for("StasisStart")
        await ari.call("POST", f"/channels/{channel_id}/answer")
        await ari.call("POST", "/bridges/b1", type="mixing")
        await ari.call("POST", "/bridges/b1/addChannel", channel=channel_id)
        status, _ = await ari.call("POST", "/bridges/b1/record", name="rec-c1", format="wav")
        assert status == 201
        await asyncio.sleep(12.5)
        await ari.call("POST", "/recordings/live/rec-c1/stop")
        path = tmp_path / "recording" / "rec-c1.wav"
        data = path.read_bytes()
        assert (data[:4], data[8:16]) == (b"RIFF", b"WAVEfmt ")
        (rate,) = struct.unpack("<I", data[24:28])
        (size,) = struct.unpack("<I", data[40:44])
        assert (rate, size, len(data)) == (8000, 12.5 * 16000, 44 + 12.5 * 16000)
        assert set(data[44:]) == {0}  # silence
        assert await ari.call("GET", "/recordings/stored") == (
            200,
            [{"name": "rec-c1", "format": "wav"}],
        )
        assert (await ari.call("DELETE", "/recordings/stored/rec-c1"))[0] == 204
        assert not path.exists()
