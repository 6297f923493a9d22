"""Listen, whisper and barge against the emulator, which snoops as the recorded Asterisk does
(``supervisor_whisper_barge.jsonl``): the supervisor's own phone is called, then joined to a
snoop of the agent's leg or, for barge, added to the call's bridge.  The engine survives the
supervisor hanging up and the call ending under a session, and audits each session."""

from __future__ import annotations

from emulator import EndpointBehaviour
from emulator.model import ChannelKind
from foundation.contact import Activity
from tests.auth.client import add_users, browser
from tests.system.harness import START, System, system

SUPERVISOR_PHONE = {"2001": EndpointBehaviour.answer(0.5)}
MONITOR = "/api/agents/1001/monitor"


def snoops(s: System) -> list[str]:
    return [c.id for c in s.emu.pbx.channels.values() if c.kind is ChannelKind.SNOOP]


def supervisor_leg(s: System) -> str | None:
    return next((c.id for c in s.emu.pbx.channels.values() if c.endpoint_key == "PJSIP/2001"), None)


async def audited(s: System, action: str) -> list[str]:
    """The audit log's actions, newest first, once ``action`` is among them (the session's
    own start and end are written in the background)."""
    for _ in range(100):
        _, audit = await s.api("GET", "/api/audit?limit=50")
        actions = [e["action"] for e in audit["entries"]]
        if action in actions:
            return actions
        await s.wait(0.1)
    raise AssertionError(f"{action} not audited")


async def talking(s: System) -> str:
    s.login("1001")
    caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
    await s.until(lambda: s.bridged_agent(caller))
    return caller


async def test_listen_snoops_the_agents_leg_then_barge_joins_the_call_then_stop(tmp_path):
    async with system(tmp_path, phones=SUPERVISOR_PHONE) as s:
        caller = await talking(s)
        status, body = await s.api("POST", MONITOR, {"mode": "listen", "endpoint": "PJSIP/2001"})
        assert (status, body["state"]) == (202, "calling")
        await s.until(lambda: snoops(s) and s.emu.pbx.bridged_with(snoops(s)[0]))
        (snoop,) = snoops(s)
        sup = supervisor_leg(s)
        assert sup is not None
        assert s.emu.pbx.bridged_with(snoop) == [sup]  # the supervisor hears the snoop
        agent_leg = s.emu.pbx.bridged_with(caller)[0]
        assert s.emu.pbx.channels[snoop].snoop_target_id == agent_leg
        (request,) = s.emu.requests("POST", f"/ari/channels/{agent_leg}/snoop")
        assert (request.query["spy"], request.query["whisper"]) == ("both", "none")

        # Barge on the same phone call: the snoop goes, the phone joins the call's bridge.
        status, _ = await s.api("POST", MONITOR, {"mode": "barge", "endpoint": "PJSIP/2001"})
        assert status == 202
        await s.until(lambda: sup in s.emu.pbx.bridged_with(caller))
        assert not snoops(s)
        assert sorted(s.emu.pbx.bridged_with(caller)) == sorted([agent_leg, sup])

        status, _ = await s.api("DELETE", MONITOR)
        assert status == 200
        await s.until(lambda: supervisor_leg(s) is None)
        assert s.emu.pbx.bridged_with(caller) == [agent_leg]  # the call goes on
        assert s.agent("1001").activity is Activity.ON_CALL
        status, body = await s.api("DELETE", MONITOR)
        assert (status, body["error"]) == (404, "not_monitored")

        actions = await audited(s, "monitor.ended")
        assert "monitor.started" in actions
        assert "monitor.ended" in actions
        assert actions.count("agent.monitor_start") == 2
        assert "agent.monitor_stop" in actions


async def test_whisper_survives_the_call_ending_and_leaves_nothing_behind(tmp_path):
    async with system(tmp_path, phones=SUPERVISOR_PHONE) as s:
        caller = await talking(s)
        await s.api("POST", MONITOR, {"mode": "whisper", "endpoint": "PJSIP/2001"})
        await s.until(lambda: snoops(s) and s.emu.pbx.bridged_with(snoops(s)[0]))
        agent_leg = s.emu.pbx.bridged_with(caller)[0]
        (request,) = s.emu.requests("POST", f"/ari/channels/{agent_leg}/snoop")
        assert (request.query["spy"], request.query["whisper"]) == ("both", "out")
        s.emu.pbx.hangup_from_phone(caller)
        # Nothing behind but the call's bridge, empty, kept for the next call.
        await s.until(lambda: not s.emu.pbx.channels and len(s.emu.pbx.bridges) == 1)
        assert all(not b.channel_ids for b in s.emu.pbx.bridges.values())
        assert s.agent("1001").activity is Activity.WRAP_UP
        assert not s.engine.core.monitor_sessions
        # The engine still serves: the next call is answered.
        await s.wait(15)
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller))


async def test_the_supervisor_hanging_up_ends_the_session_and_the_call_goes_on(tmp_path):
    async with system(tmp_path, phones=SUPERVISOR_PHONE) as s:
        caller = await talking(s)
        await s.api("POST", MONITOR, {"mode": "listen", "endpoint": "PJSIP/2001"})
        await s.until(lambda: snoops(s) and s.emu.pbx.bridged_with(snoops(s)[0]))
        sup = supervisor_leg(s)
        assert sup is not None
        s.emu.pbx.hangup_from_phone(sup)
        await s.until(lambda: not snoops(s) and len(s.emu.pbx.bridges) == 1)
        assert not s.engine.core.monitor_sessions
        assert s.bridged_agent(caller) == "1001"
        await audited(s, "monitor.ended")
        _, audit = await s.api("GET", "/api/audit?action=monitor.ended")
        (ended,) = audit["entries"]
        assert ended["target"].endswith("listen, supervisor_hung_up")


async def test_monitoring_is_refused_off_call_with_a_bad_endpoint_and_to_an_agent(tmp_path):
    async with system(tmp_path, phones=SUPERVISOR_PHONE) as s:
        s.login("1001")
        status, body = await s.api("POST", MONITOR, {"mode": "listen", "endpoint": "PJSIP/2001"})
        assert (status, body["error"]) == (409, "not_on_call")
        status, body = await s.api("POST", MONITOR, {"mode": "spy", "endpoint": "PJSIP/2001"})
        assert (status, body["error"]) == (422, "invalid_mode")
        bad = {"mode": "listen", "endpoint": "PJSIP/0900123456@trunk"}
        status, body = await s.api("POST", MONITOR, bad)
        assert (status, body["error"]) == (422, "invalid_endpoint")
        status, body = await s.api("POST", MONITOR, {"mode": "listen"})
        assert (status, body["error"]) == (422, "endpoint_required")  # a token has no agent
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        async with browser(s.engine.http_url or "") as an:
            await an.login("an")
            status, body, _ = await an.call("POST", MONITOR, {"mode": "listen"})
            assert (status, body["error"]) == (403, "role_refused")
