"""Listen, whisper and barge on a real Asterisk: the supervisor's phone (a sipp phone) is
called, then bridged with a snoop of the agent's leg; barge puts it in the call's bridge; the
call ending takes the supervisor's phone and the snoop with it."""

from __future__ import annotations

import pytest

from tests.realpbx.harness import Pbx, Phones, ended_records, wait_for

pytestmark = pytest.mark.realpbx


def test_whisper_then_barge_then_the_caller_hangs_up_leaving_nothing(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    phones.agent("agent1", "uas_answer", delay_ms=500)
    supervisor = phones.agent("agent3", "uas_answer", delay_ms=300)  # the supervisor's phone
    pbx.engine.login("agent1")
    caller = phones.caller("1701", [9000])
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "caller and agent1 in one bridge")

    status, body = pbx.engine.api(
        "POST", "/api/agents/agent1/monitor", {"mode": "whisper", "endpoint": "PJSIP/agent3"}
    )
    assert status == 202, body

    def snoop_bridged_with_supervisor() -> bool:
        names = {c["id"]: c["name"] for c in pbx.asterisk.channels()}
        return any(
            {names.get(ch, "").split("/")[0] for ch in b["channels"]} == {"Snoop", "PJSIP"}
            and len(b["channels"]) == 2
            for b in pbx.asterisk.bridges()
        )

    wait_for(snoop_bridged_with_supervisor, 10, "the supervisor's phone bridged with a snoop")

    status, body = pbx.engine.api(
        "POST", "/api/agents/agent1/monitor", {"mode": "barge", "endpoint": "PJSIP/agent3"}
    )
    assert status == 202, body
    wait_for(
        lambda: any(
            {"caller", "agent1", "agent3"} <= pair for pair in pbx.asterisk.bridged_pairs()
        ),
        10,
        "the supervisor in the call's bridge",
    )
    wait_for(
        lambda: not [c for c in pbx.asterisk.channels() if c["name"].startswith("Snoop/")],
        5,
        "the snoop gone once the supervisor barged",
    )

    (call_bridge,) = [b["id"] for b in pbx.asterisk.bridges() if len(b["channels"]) == 3]

    assert caller.wait(20) == 0  # the caller hangs up after 9 s
    assert supervisor.wait(10) == 0  # the engine hung the supervisor's phone up too
    wait_for(lambda: not pbx.asterisk.channels(), 10, "no channel left")
    # The spy bridge goes, and so does the call's: a supervisor was in it, so it is not kept
    # for another call as an empty bridge of a plain call is.
    wait_for(
        lambda: all(
            b["id"] != call_bridge and b["id"].startswith("br-") for b in pbx.asterisk.bridges()
        ),
        10,
        "the spy bridge and the barged call's bridge destroyed",
    )
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent1")
