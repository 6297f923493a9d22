"""The agent's desk and the wallboard against the engine and the emulator, over the real
HTTP API: the contact as the agent sees it, "close contact" ending wrap-up so the next call
rings at once, the registration stored with the contact record, the agent's figures today,
the presence reasons, and the wallboard's counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from acd.engine.inputs import SetPresence
from emulator import CallerScript, DtmfPress, EndpointBehaviour
from foundation.contact import Activity, Outcome, Presence
from tests.system.harness import system

IVR = Path(__file__).parent / "config_ivr"
CITIZEN = "cb32470123456"  # the emulator's phone for +32 470 12 34 56 (callback_dial)

GENERAL = "1700 Andere Vragen"
LINK = "https://www.vlaanderen.be/premies-voor-renovatie"


async def test_closing_the_contact_in_wrap_up_lets_the_next_call_ring_at_once(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        first = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(first))
        status, contact = await s.api("GET", "/api/agents/1001/contact")
        assert status == 200
        assert contact["state"] == "talking"
        assert (contact["caller_number"], contact["line"], contact["line_code"]) == (
            "0470123456",
            "1700",
            GENERAL,
        )
        assert contact["contact_reasons"][0] == "Informatie gegeven"
        assert contact["callback"] is None
        assert contact["virtual_hold"] is False

        s.emu.pbx.hangup_from_phone(first)
        await s.until(lambda: s.agent("1001").activity is Activity.WRAP_UP)
        second = s.emu.pbx.place_call("1700", caller_number="0470999888")
        await s.wait(5)  # the second caller is queued behind the wrap-up (10 s)
        assert s.bridged_agent(second) is None
        status, contact = await s.api("GET", "/api/agents/1001/contact")
        assert (status, contact["state"]) == (200, "wrap_up")
        loop_time = s.engine.clock.now()
        status, body = await s.api(
            "POST",
            "/api/agents/1001/contact/close",
            {"note": "Vraag over renovatiepremie", "reason": "Informatie gegeven", "links": [LINK]},
        )
        assert status == 200, body
        assert body["contact_id"] == contact["contact_id"]
        await s.until(lambda: s.bridged_agent(second))
        # Rang at once, well before the 10 s wrap-up would have ended.
        assert (s.engine.clock.now() - loop_time).total_seconds() < 3

        records = {r.id: r for r in await s.records()}
        registration = records[contact["contact_id"]].registration
        assert registration is not None
        assert (registration.agent_id, registration.note, registration.reason) == (
            "1001",
            "Vraag over renovatiepremie",
            "Informatie gegeven",
        )
        assert registration.links == (LINK,)

        status, today = await s.api("GET", "/api/agents/1001/today")
        assert status == 200
        assert today["contacts"] == 2
        assert today["presence_seconds"]["available"] > 0


async def test_close_is_refused_with_nothing_to_close_an_unknown_reason_or_a_bad_link(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        close = "/api/agents/1001/contact/close"
        good = {"note": "", "reason": "Klacht", "links": []}
        status, body = await s.api("POST", close, good)
        assert (status, body["error"]) == (409, "nothing_to_close")
        status, body = await s.api("GET", "/api/agents/1001/contact")
        assert (status, body["error"]) == (404, "no_contact")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        status, body = await s.api("POST", close, good | {"reason": "Energielening"})
        assert (status, body["error"]) == (422, "unknown_reason")
        assert "Informatie gegeven" in body["message"]
        status, body = await s.api("POST", close, good | {"links": ["javascript:alert(1)"]})
        assert (status, body["error"]) == (422, "invalid_links")
        assert body["message"] == "links[0]: must be an http(s) URL"  # which one, and why
        status, body = await s.api("POST", close, {"reason": "Klacht"})
        assert (status, body["error"]) == (422, "invalid_note")
        # Closed while talking: the call's end then skips the wrap-up.
        assert (await s.api("POST", close, good))[0] == 200
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        assert s.agent("1001").activity is Activity.IDLE


async def test_presence_reasons_come_from_the_settings(tmp_path):
    async with system(tmp_path) as s:
        status, body = await s.api("GET", "/api/presence-reasons")
        assert status == 200
        assert body == {
            "reasons": ["training", "lunch", "break", "missed"],
            "missed_reason": "missed",
        }


async def test_the_wallboard_counts_waiting_answered_and_abandoned_today(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        talking = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(talking))
        waiting = s.emu.pbx.place_call("1700")
        await s.wait(30)
        status, board = await s.api("GET", "/api/wallboard")
        assert status == 200
        assert board["answer_rate_target"] == 0.95
        (line,) = [ln for ln in board["lines"] if ln["line"] == "1700"]
        general = next(c for c in line["line_codes"] if c["line_code"] == GENERAL)
        assert (general["waiting"], general["offered"], general["answered"]) == (1, 2, 1)
        assert 20 < general["longest_wait_s"] <= 30
        assert general["agents"]["by_activity"]["on_call"] == 1
        assert general["service_level"] == 1.0
        s.emu.pbx.hangup_from_phone(waiting)  # gives up
        await s.until(lambda: len(s.engine.core.contacts) == 1)
        _, board = await s.api("GET", "/api/wallboard")
        general = next(
            c for ln in board["lines"] for c in ln["line_codes"] if c["line_code"] == GENERAL
        )
        assert (general["waiting"], general["abandoned"]) == (0, 1)
        assert general["answer_rate"] == 0.5
        assert general["answer_rate_ok"] is False


async def test_a_virtual_hold_callback_shows_its_number_and_the_callers_original_wait(tmp_path):
    phones = {CITIZEN: EndpointBehaviour.answer(2.0, hangup_after_s=60.0)}
    behaviours = {"1006": EndpointBehaviour.answer(1.0, hangup_after_s=60.0)}
    start = datetime(2027, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    async with system(tmp_path, config=IVR, start=start, phones=phones, behaviours=behaviours) as s:
        script = CallerScript(dtmf=(DtmfPress(151.0, "1"), DtmfPress(157.0, "1")))
        held = s.emu.pbx.place_call("1706", caller_number="0470123456", script=script)
        await s.until(lambda: not s.channel_exists(held), timeout_s=240)  # hung up, on hold
        (asked_in,) = [r for r in await s.records() if r.outcome is Outcome.CALLBACK_REQUESTED]
        s.login("1006")
        await s.until(lambda: s.agent("1006").activity is Activity.ON_CALL, timeout_s=120)
        status, contact = await s.api("GET", "/api/agents/1006/contact")
        assert status == 200
        assert contact["virtual_hold"] is True
        assert contact["callback"]["number"] == "+32470123456"
        assert asked_in.wait_seconds is not None
        assert contact["callback"]["original_wait_s"] == asked_in.wait_seconds
        assert contact["callback"]["original_wait_s"] > 150


async def test_a_restarted_engines_wallboard_still_counts_the_calls_of_the_day(tmp_path):
    async with system(tmp_path) as s:
        s.login("1001")
        answered = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(answered))
        s.emu.pbx.hangup_from_phone(answered)
        await s.until(lambda: s.agent("1001").activity is Activity.WRAP_UP)
        s.engine.runtime.submit(SetPresence("1001", Presence.NOT_AVAILABLE, "lunch"))
        gave_up = s.emu.pbx.place_call("1700")
        await s.wait(60)  # nobody to answer
        s.emu.pbx.hangup_from_phone(gave_up)
        await s.until(lambda: not s.engine.core.contacts)
        await s.records()  # written
        stopped_at = s.engine.clock.now()
    async with system(tmp_path, start=stopped_at + timedelta(minutes=5)) as s:
        _, board = await s.api("GET", "/api/wallboard")
        general = next(
            c for ln in board["lines"] for c in ln["line_codes"] if c["line_code"] == GENERAL
        )
        assert (general["offered"], general["answered"], general["abandoned"]) == (2, 1, 1)
        assert general["answer_rate"] == 0.5
