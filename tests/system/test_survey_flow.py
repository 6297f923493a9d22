"""The survey after the call through the emulator: the caller leaves the agent's bridge and
keys their scores alone; each answer is in SQL as soon as it is keyed; the agent takes the
next call meanwhile."""

from __future__ import annotations

from pathlib import Path

from acd.quality.surveys import SurveyStore
from foundation.contact import Activity, Outcome
from tests.system.harness import System, system

SURVEY = Path(__file__).parent / "config_survey"


async def _talking(s: System, caller_number: str = "0470123456") -> str:
    s.login("1002")
    caller = s.emu.pbx.place_call("1700", caller_number=caller_number)
    await s.until(lambda: s.bridged_agent(caller) == "1002")
    await s.wait(30)
    return caller


def _store(s: System) -> SurveyStore:
    assert s.engine.surveys is not None
    return s.engine.surveys


async def _answers(s: System) -> list[tuple[str, int]]:
    (contact,) = {r.id for r in await s.records()}
    return [(a.question, a.score) for a in await _store(s).answers(contact)]


async def test_to_survey_frees_the_agent_and_stores_every_answer_keyed(tmp_path):
    async with system(tmp_path, config=SURVEY) as s:
        caller = await _talking(s)
        status, body = await s.api("POST", "/api/agents/1002/survey")
        assert (status, body) == (200, {"agent_id": "1002", "survey": "started"})
        await s.until(lambda: s.bridged_agent(caller) is None)
        assert s.agent("1002").activity is Activity.WRAP_UP
        assert s.channel_exists(caller)
        await s.wait(8)  # the intro and the first question
        for keys in ("#", "8", "*", "10", "3"):  # a wrong key first: the question again
            s.emu.pbx.send_dtmf(caller, keys)
            await s.wait(6)
        await s.until(lambda: not s.channel_exists(caller))  # hung up after the thanks
        assert await _answers(s) == [
            ("waiting_time", 8),
            ("politeness", 10),
            ("information", 10),
            ("recommend", 3),
        ]
        played = s.media_played_to(caller)
        assert "sound:acd-survey-intro" in played
        assert "sound:acd-survey-invalid" in played
        assert played[-1] == "sound:acd-survey-thanks"
        (record,) = await s.records()
        assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "1002")
        metrics = s.engine.metrics.registry.get_sample_value
        code = {"line_code": "1700 Andere Vragen"}
        assert metrics("acd_surveys_started_total", code) == 1
        assert metrics("acd_surveys_responded_total", code) == 1
        assert metrics("acd_survey_score_count", {**code, "question": "politeness"}) == 1


async def test_the_agent_hanging_up_sends_the_caller_on_and_two_answers_stay(tmp_path):
    async with system(tmp_path, config=SURVEY) as s:
        caller = await _talking(s)
        (agent_leg,) = s.emu.pbx.bridged_with(caller)
        s.emu.pbx.hangup_from_phone(agent_leg)
        await s.wait(8)
        assert s.channel_exists(caller)
        s.emu.pbx.send_dtmf(caller, "7")
        await s.wait(6)
        s.emu.pbx.send_dtmf(caller, "5")
        await s.wait(3)
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        assert await _answers(s) == [("waiting_time", 7), ("politeness", 5)]
        (record,) = await s.records()
        assert record.outcome is Outcome.ANSWERED


async def test_the_agent_takes_the_next_call_while_the_caller_is_still_in_the_survey(tmp_path):
    async with system(tmp_path, config=SURVEY) as s:
        first = await _talking(s)
        status, _ = await s.api("POST", "/api/agents/1002/survey")
        assert status == 200
        second = s.emu.pbx.place_call("1700", caller_number="0470999999")
        await s.until(lambda: s.bridged_agent(second) == "1002")
        assert s.channel_exists(first)  # still listening to the first question
        status, body = await s.api("POST", "/api/agents/1003/survey")
        assert (status, body["error"]) == (409, "not_on_call")
        for channel in (first, second):
            s.emu.pbx.hangup_from_phone(channel)
        await s.until(lambda: not s.emu.pbx.channels)


async def test_a_survey_whose_prompts_are_missing_on_the_pbx_still_stores_every_answer(tmp_path):
    # The default prompts (sound:acd-survey-*) are files a deployment records; on a PBX
    # without them each fails at once (PlaybackContinuing to the question's next item, or
    # PlaybackFinished "failed"), and the survey must go on regardless.
    async with system(tmp_path, config=SURVEY, missing_sounds_fail=True) as s:
        caller = await _talking(s)
        status, _ = await s.api("POST", "/api/agents/1002/survey")
        assert status == 200
        await s.until(lambda: s.bridged_agent(caller) is None)
        for keys in ("8", "*", "10", "3"):
            await s.wait(1)
            s.emu.pbx.send_dtmf(caller, keys)
        await s.until(lambda: not s.channel_exists(caller))  # the thanks "played": hung up
        assert await _answers(s) == [
            ("waiting_time", 8),
            ("politeness", 10),
            ("information", 10),
            ("recommend", 3),
        ]
        assert s.media_played_to(caller)[-1] == "sound:acd-survey-thanks"
        (record,) = await s.records()
        assert record.outcome is Outcome.ANSWERED
