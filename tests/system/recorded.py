"""A recorded call for the recording and listening tests: line 1700's recording share (in the
survey test config) records every call."""

from __future__ import annotations

from acd.auth.model import Role
from tests.auth.client import PASSWORD
from tests.system.harness import START, System


async def add_reporting_users(s: System) -> None:
    """vera reports on 1700 (the recorded line's service), otto on 1701 (another service)."""
    assert s.engine.auth is not None
    await s.engine.auth.add_user("vera", PASSWORD, Role.REPORTING, START, lines=("1700",))
    await s.engine.auth.add_user("otto", PASSWORD, Role.REPORTING, START, lines=("1701",))


async def record_one_call(s: System) -> str:
    """One call of line 1700, answered by agent 1002 and talked for 20 s, then hung up by the
    caller; returns its recording's name once the end is written."""
    s.login("1002")
    caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
    await s.until(lambda: s.bridged_agent(caller) == "1002")
    await s.wait(20)
    s.emu.pbx.hangup_from_phone(caller)
    await s.until(lambda: not s.emu.pbx.channels)
    await s.wait(1)  # the recordings' writer has written the end
    (record,) = await s.records()
    return f"rec-{record.id}"
