"""A phone transfer to an escalation point through the emulated trunk: the caller ends with the
point and the agent is freed, or the point is busy and the caller comes back; never dropped."""

from __future__ import annotations

from acd.engine import inputs as inp
from emulator import EndpointBehaviour
from foundation.contact import Activity, Outcome
from tests.system.harness import system

POINT, NUMBER = "anb-team-jacht", "+3211123456"


async def test_a_transfer_bridges_the_caller_with_the_point_and_frees_the_agent(tmp_path):
    trunk = {NUMBER: EndpointBehaviour.answer(4.0, hangup_after_s=90.0)}
    async with system(tmp_path, trunk=trunk) as s:
        s.login("1002")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(caller) == "1002")
        await s.wait(30)  # they talk; the agent decides the question is for the point

        s.engine.runtime.submit(inp.TransferRequested("1002", POINT, NUMBER))
        await s.until(lambda: s.bridged_agent(caller) == "trunk")
        assert s.agent("1002").activity is Activity.WRAP_UP  # the agent's leg was hung up
        assert "sound:pls-hold-while-try" in s.media_played_to(caller)

        await s.until(lambda: not s.emu.pbx.channels)  # the point ends the call after 90 s
        (record,) = await s.records()
        assert (record.outcome, record.agent_id) == (Outcome.ESCALATED_PHONE, "1002")
        assert record.escalation_point == POINT
        assert not s.emu.pbx.bridges


async def test_a_busy_point_gives_the_caller_back_to_the_waiting_agent(tmp_path):
    trunk = {NUMBER: EndpointBehaviour.busy(2.0)}
    async with system(tmp_path, trunk=trunk) as s:
        s.login("1002")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller) == "1002")

        s.engine.runtime.submit(inp.TransferRequested("1002", POINT, NUMBER))
        await s.until(lambda: s.bridged_agent(caller) is None)  # on hold while dialling
        await s.until(lambda: s.bridged_agent(caller) == "1002")  # back with the same agent
        assert s.agent("1002").activity is Activity.ON_CALL

        s.emu.pbx.hangup_from_phone(caller)
        await s.until(lambda: not s.emu.pbx.channels)
        (record,) = await s.records()
        assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "1002")
