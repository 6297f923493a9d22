"""End to end through the emulator: routing steps, proficiency, fallback line codes, policies,
missed offers in a row and offer delays (issue 4)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aiohttp

from acd.engine import inputs as inp
from emulator import EndpointBehaviour
from foundation.contact import Activity, OfferResult, Presence
from tests.system.harness import System, system

ROUTING = Path(__file__).parent / "config_routing"


def routing(tmp_path: Path, **kwargs: Any) -> AbstractAsyncContextManager[System]:
    return system(tmp_path, config=ROUTING, **kwargs)


async def test_a_level_5_agent_gets_the_call_before_a_level_2_agent(tmp_path):
    async with routing(tmp_path) as s:
        s.login("1002")  # idle longest, but only level 2
        await s.wait(60)
        s.login("1005")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1005"


async def test_after_the_step_time_the_level_2_agent_gets_it(tmp_path):
    async with routing(tmp_path) as s:
        loop = asyncio.get_running_loop()
        s.login("1002", "1005")  # 1005 is logged in, so the level >= 4 step is not skipped,
        s.engine.runtime.submit(inp.SetPresence("1005", Presence.NOT_AVAILABLE, "lunch"))
        caller = s.emu.pbx.place_call("1700")  # but at lunch: nobody takes it at step 0
        await s.until(lambda: s.engine.core.contacts)
        arrived = loop.time()
        await s.until(lambda: s.agent("1002").activity is not Activity.IDLE, timeout_s=60)
        assert 29.8 <= loop.time() - arrived < 31  # offered when the second step starts
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1002"


async def test_the_fallback_line_code_joins_at_its_step(tmp_path):
    async with routing(tmp_path) as s:
        loop = asyncio.get_running_loop()
        s.login("1002", "1001")  # 1002 keeps step 2 alive, but is at lunch
        s.engine.runtime.submit(inp.SetPresence("1002", Presence.NOT_AVAILABLE, "lunch"))
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.engine.core.contacts)
        arrived = loop.time()
        await s.until(lambda: s.agent("1001").activity is not Activity.IDLE, timeout_s=120)
        assert 89.8 <= loop.time() - arrived < 91
        await s.until(lambda: s.bridged_agent(caller))
        assert s.bridged_agent(caller) == "1001"


async def test_the_queue_snapshot_shows_each_contacts_step_and_the_next_steps_time(tmp_path):
    async with routing(tmp_path) as s:
        s.login("1002")
        s.engine.runtime.submit(inp.SetPresence("1002", Presence.NOT_AVAILABLE, "lunch"))
        s.emu.pbx.place_call("1700")
        await s.until(lambda: s.engine.core.contacts)
        await s.wait(10)
        async with (
            aiohttp.ClientSession(headers=s.headers) as http,
            http.get(f"{s.engine.http_url}/api/queues") as resp,
        ):
            queues = {q["line_code"]: q for q in (await resp.json())["queues"]}
        (waiting,) = queues["1700 Wonen en energie"]["contacts"]
        assert waiting["step"] == 1  # step 0 (level >= 4) matches nobody logged in: skipped
        assert 79 <= waiting["next_step_in_seconds"] <= 81  # the fallback step at 90 s


async def test_two_missed_offers_in_a_row_make_the_agent_not_available_with_a_pause_between(
    tmp_path,
):
    behaviours = {"1005": EndpointBehaviour.ring_forever()}
    async with routing(tmp_path, behaviours=behaviours) as s:
        loop = asyncio.get_running_loop()
        s.login("1005")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.agent("1005").activity is Activity.RINGING)
        await s.until(lambda: s.agent("1005").activity is Activity.IDLE)
        first_missed = loop.time()
        assert s.agent("1005").presence is Presence.AVAILABLE  # one miss: still available
        await s.until(lambda: s.agent("1005").activity is Activity.RINGING, timeout_s=60)
        assert loop.time() - first_missed >= 20  # the offer delay after a no-answer
        await s.until(lambda: s.agent("1005").presence is Presence.NOT_AVAILABLE, timeout_s=30)
        assert s.agent("1005").reason == "missed"
        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.engine.core.contacts)
        (record,) = await s.records()
        assert [o.result for o in record.offers] == [OfferResult.NO_ANSWER] * 2
