"""End to end through the emulator: opening hours, the DTMF menu, announcements, the
no-agents rule, closing time and rejoining after a dropped call (issue 5)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from emulator import CallerScript, DtmfPress, EndpointBehaviour
from foundation.contact import Outcome
from tests.system.harness import System, system

IVR = Path(__file__).parent / "config_ivr"
BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY_10H = datetime(2027, 3, 30, 10, 0, tzinfo=BRUSSELS)


def ivr(
    tmp_path: Path, start: datetime = TUESDAY_10H, **kwargs: Any
) -> AbstractAsyncContextManager[System]:
    return system(tmp_path, config=IVR, start=start, **kwargs)


async def test_a_call_on_a_holiday_hears_the_holiday_message_and_is_recorded_closed(tmp_path):
    easter_monday = datetime(2027, 3, 29, 10, 0, tzinfo=BRUSSELS)
    async with ivr(tmp_path, start=easter_monday) as s:
        s.login("1001")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: not s.channel_exists(caller))
        played = s.media_played_to(caller)
        assert "sound:acd-closed-holiday" in played
        assert "sound:acd-open-again" in played  # followed by the next opening
        assert not s.emu.requests("POST", "/ari/channels/ag-")  # no agent was rung
        (record,) = await s.records()
        assert (record.outcome, record.queued_at) == (Outcome.CLOSED, None)


async def test_a_call_at_18_59_is_queued_and_served_after_19_00(tmp_path):
    async with ivr(tmp_path, start=datetime(2027, 3, 30, 18, 58, 50, tzinfo=BRUSSELS)) as s:
        script = CallerScript(dtmf=(DtmfPress(2.0, "2"),))
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456", script=script)
        await s.until(lambda: s.engine.core.contacts and s.media_played_to(caller))
        await s.wait(90)  # 19:00 passes while the caller waits
        assert s.engine.clock.now() > datetime(2027, 3, 30, 19, 0, tzinfo=BRUSSELS)
        s.login("1001")
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1001"


async def test_a_menu_choice_routes_to_its_line_code(tmp_path):
    async with ivr(tmp_path) as s:
        s.login("1001", "1003")
        script = CallerScript(dtmf=(DtmfPress(2.0, "1"),))  # during the menu prompt
        caller = s.emu.pbx.place_call("1700", script=script)
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1003"  # the Wonen en energie agent
        assert s.emu.requests("DELETE", "/ari/playbacks/")  # the digit cut the menu prompt
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.engine.core.contacts)
        (record,) = await s.records()
        assert record.line_code == "1700 Wonen en energie"


async def test_an_invalid_choice_repeats_the_menu_and_then_falls_back(tmp_path):
    async with ivr(tmp_path) as s:
        s.login("1001", "1003")
        script = CallerScript(dtmf=(DtmfPress(2.0, "9"),))  # invalid, then silence
        caller = s.emu.pbx.place_call("1700", script=script)
        await s.until(lambda: s.bridged_agent(caller), timeout_s=180)
        played = s.media_played_to(caller)
        assert "sound:acd-menu-invalid" in played
        assert "sound:acd-menu-timeout" in played or played.count("sound:acd-menu-1700") >= 2
        assert s.bridged_agent(caller) == "1001"  # the line's default line code


async def test_a_caller_further_back_hears_position_and_wait_after_the_first_delay(tmp_path):
    behaviours = {"1001": EndpointBehaviour.answer(2.0, hangup_after_s=600.0)}
    async with ivr(tmp_path, behaviours=behaviours) as s:
        loop = asyncio.get_running_loop()
        s.login("1001")
        menu_2 = CallerScript(dtmf=(DtmfPress(2.0, "2"),))
        talking = s.emu.pbx.place_call("1700", script=menu_2)
        await s.until(lambda: s.bridged_agent(talking))
        s.emu.pbx.place_call("1700", script=menu_2)  # next in line: hears no position
        third = s.emu.pbx.place_call("1700", script=menu_2)
        await s.until(lambda: len([c for c in s.engine.core.contacts.values() if c.announcer]) == 2)
        queued_at = loop.time()

        def announcements() -> list[str]:
            return [
                m
                for m in s.media_played_to(third)
                if "queue-" in m or m.startswith("sound:digits/")
            ]

        await s.until(announcements, timeout_s=60)
        assert loop.time() - queued_at >= 29  # not before first_after_s
        said = announcements()
        assert "sound:queue-thereare" in said  # "there are ... calls waiting": position 2
        assert "sound:digits/2" in said
        assert "sound:queue-holdtime" in said  # and the estimated wait
        assert s.emu.requests("DELETE", f"/ari/channels/{third}/moh")  # music paused for it


async def test_no_agents_for_the_line_code_plays_the_message_and_ends(tmp_path):
    async with ivr(tmp_path) as s:
        caller = s.emu.pbx.place_call("1703")
        await s.until(lambda: not s.channel_exists(caller))
        assert "sound:acd-no-agents" in s.media_played_to(caller)
        (record,) = await s.records()
        assert record.outcome is Outcome.NO_AGENTS


async def test_a_line_that_closes_its_queue_says_goodbye_at_closing_time(tmp_path):
    async with ivr(tmp_path, start=datetime(2027, 3, 30, 18, 59, 0, tzinfo=BRUSSELS)) as s:
        s.login("1004")
        s.engine.runtime.submit(
            __import__("acd.engine.inputs", fromlist=["SetPresence"]).SetPresence(
                "1004",
                __import__("foundation.contact", fromlist=["Presence"]).Presence.NOT_AVAILABLE,
                "lunch",
            )
        )
        caller = s.emu.pbx.place_call("1704")
        await s.until(lambda: not s.channel_exists(caller), timeout_s=120)
        assert "sound:acd-closing" in s.media_played_to(caller)
        (record,) = await s.records()
        assert record.outcome is Outcome.CLOSED
        assert record.ended_at is not None
        assert record.ended_at >= datetime(2027, 3, 30, 19, 0, tzinfo=BRUSSELS)


async def test_a_caller_who_calls_back_within_two_minutes_gets_their_place_back(tmp_path):
    async with ivr(tmp_path) as s:
        script = CallerScript(dtmf=(DtmfPress(2.0, "2"),), patience_s=60)
        first = s.emu.pbx.place_call("1700", caller_number="0470555555", script=script)
        await s.until(lambda: not s.channel_exists(first), timeout_s=120)
        await s.wait(30)
        again = s.emu.pbx.place_call(
            "1700", caller_number="0470555555", script=CallerScript(dtmf=(DtmfPress(2.0, "2"),))
        )
        await s.until(lambda: any(c.record.queued_at for c in s.engine.core.contacts.values()))
        (waiting,) = s.engine.core.contacts.values()
        (dropped,) = [r for r in await s.records() if r.ended_at is not None]
        assert waiting.record.queued_at == dropped.queued_at  # the wait clock goes on
        s.emu.pbx.hangup_from_phone(again)
