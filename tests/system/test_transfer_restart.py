"""Issue 11: a caller is never lost to a restart during a phone transfer.  The engine is killed
(SIGKILL) while the escalation point's phone rings, and started again on the same database:
the ringing point is hung up and the caller is back with the agent who waited, recorded once.

Real processes on the wall clock, as in ``tests/system/test_restart.py`` (whose set-up this
reuses): only a real process can die without cleaning up.
"""

from __future__ import annotations

import signal
from pathlib import Path

from tests.system.processes import DEADLINE_S, until
from tests.system.test_restart import AGENT, agent, emulator_and_engine, kill

POINT = "anb-jacht"  # reachable around the clock in tests/system/config


def test_a_transfer_ringing_when_the_engine_is_killed_gives_the_caller_back_to_the_agent(
    tmp_path: Path,
) -> None:
    with emulator_and_engine(tmp_path) as pbx:
        pbx.emulator.put("/emulator/endpoints/PJSIP/1001", {"mode": "answer", "ring_s": 0.2})
        # The point's phone behind the trunk rings well past the restart.
        pbx.emulator.put("/emulator/endpoints/PJSIP/trunk", {"mode": "ring"})
        with pbx.engine("engine-1") as (api, first):
            api.post(f"/api/agents/{AGENT}/login", {})
            caller = pbx.call()
            (leg,) = until(lambda: pbx.bridged_with(caller), "the caller talks to the agent")
            api.post(f"/api/agents/{AGENT}/transfer", {"point_id": POINT})
            until(lambda: not pbx.bridged_with(caller), "the caller waits off the agent")
            point_legs = until(
                lambda: [
                    c["id"]
                    for c in pbx.emulator.get("/emulator/channels")
                    if c["id"] not in (caller, leg)
                ],
                "the escalation point's phone rings",
            )
            until(
                lambda: (row := pbx.row(caller)) and row["escalation_point"] == POINT,
                "the transfer is on disk",
            )
            kill(first)

        with pbx.engine("engine-2") as (api, second):
            assert until(lambda: pbx.bridged_with(caller), "the caller is back") == [leg]
            channels = {c["id"] for c in pbx.emulator.get("/emulator/channels")}
            assert not set(point_legs) & channels  # the point's ringing phone was hung up
            assert agent(api)["activity"] == "on_call"
            pbx.emulator.post(f"/emulator/channels/{caller}/hangup", {})
            after = until(
                lambda: (row := pbx.row(caller)) and row["ended_at"] and row,
                "the call is recorded as ended",
            )
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

    assert (after["outcome"], after["agent_id"]) == ("answered", AGENT)
    assert after["escalation_point"] is None  # the transfer never happened
    assert after["transferred_at"] is None
