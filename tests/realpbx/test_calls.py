"""Calls through a real Asterisk: sipp callers dial the lines, sipp phones are the agents; the
tests check what a caller, an agent and a supervisor notice (who talked to whom, the contact
record's outcome, agent and wait)."""

from __future__ import annotations

import pytest

from tests.realpbx.harness import Pbx, Phones, ended_records, wait_for

pytestmark = pytest.mark.realpbx


# 1705 is line 1701 with Answer() before Stasis(acd,inbound,1701): the engine sees the
# channel Up and does not answer it again (tests/engine/test_runtime.py checks the request is
# not sent); the caller is served the same.
@pytest.mark.parametrize("number", ["1701", "1705"], ids=["engine answers", "dialplan answered"])
def test_a_caller_talks_to_the_agent_and_hangs_up(pbx: Pbx, phones: Phones, number: str) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_answer", delay_ms=500)
    pbx.engine.login("agent1")
    caller = phones.caller(number, [4000])
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "caller and agent1 in one bridge")
    assert caller.wait(15) == 0
    assert agent1.wait(10) == 0  # the engine hung the agent's phone up after the caller left
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["line"], record["line_code"]) == (
        "answered",
        "agent1",
        "1701",
        "sales",
    )
    assert 0.3 <= record["wait_seconds"] < 3  # queued, agent1 rang 0.5 s, answered
    assert [o["result"] for o in record["offers"]] == ["answered"]


def test_an_agent_who_lets_it_ring_out_is_passed_over_for_the_next(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_noanswer")
    phones.agent("agent2", "uas_answer", delay_ms=500)
    pbx.engine.login("agent1", "agent2")
    caller = phones.caller("1701", [7000])
    assert agent1.wait(10) == 0  # rang ring_timeout_s (3 s), then the PBX cancelled it
    wait_for(lambda: pbx.bridged_with_caller("agent2"), 5, "caller and agent2 in one bridge")
    assert pbx.engine.agents()["agent1"]["reason"] == "missed"  # set not available
    assert caller.wait(15) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent2")
    assert [(o["agent_id"], o["result"]) for o in record["offers"]] == [
        ("agent1", "no_answer"),
        ("agent2", "answered"),
    ]
    assert 3.0 <= record["wait_seconds"] < 6


def test_a_busy_agent_is_passed_over_for_the_next(pbx: Pbx, phones: Phones) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_busy")
    phones.agent("agent2", "uas_answer", delay_ms=500)
    pbx.engine.login("agent1", "agent2")
    caller = phones.caller("1701", [3000])
    assert agent1.wait(10) == 0  # 180 Ringing, then 486 Busy Here
    wait_for(lambda: pbx.bridged_with_caller("agent2"), 5, "caller and agent2 in one bridge")
    assert caller.wait(15) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent2")
    assert [(o["agent_id"], o["result"]) for o in record["offers"]] == [
        ("agent1", "busy"),
        ("agent2", "answered"),
    ]
    assert record["wait_seconds"] < 3  # busy is at once: no ring timeout in the wait


def test_a_caller_who_gives_up_in_the_queue_is_recorded_abandoned(pbx: Pbx, phones: Phones) -> None:
    before = pbx.known_records()
    caller = phones.caller("1701", [2500])  # nobody logged in: the caller waits, then leaves
    wait_for(lambda: pbx.engine.waiting() == 1, 5, "the caller waits in the queue")
    assert caller.wait(10) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["offers"]) == ("abandoned", None, [])
    assert 1.5 <= record["wait_seconds"] <= 3.5


def test_a_caller_who_gives_up_while_an_agent_rings_stops_the_ringing(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_noanswer")
    pbx.engine.login("agent1")
    caller = phones.caller("1701", [1500])  # hangs up before the 3 s ring timeout
    assert caller.wait(10) == 0
    assert agent1.wait(5) == 0  # its INVITE was cancelled: CANCEL, 487, ACK
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("abandoned", None)
    assert [(o["agent_id"], o["result"]) for o in record["offers"]] == [("agent1", "cancelled")]
    agent = pbx.engine.agents()["agent1"]
    assert (agent["presence"], agent["activity"]) == ("available", "idle")  # not "missed"


def test_when_the_agent_hangs_up_first_the_caller_is_hung_up(pbx: Pbx, phones: Phones) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_answer_bye", delay_ms=1000)  # answers, BYE 1 s later
    pbx.engine.login("agent1")
    caller = phones.caller("1701", hang_up=False)  # waits for the PBX's BYE
    assert agent1.wait(10) == 0
    assert caller.wait(10) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent1")


def test_callers_are_served_in_the_order_they_called(pbx: Pbx, phones: Phones) -> None:
    before = pbx.known_records()
    first = phones.caller("1701", hang_up=False)
    wait_for(lambda: pbx.engine.waiting() == 1, 5, "the first caller waits")
    second = phones.caller("1701", hang_up=False)
    wait_for(lambda: pbx.engine.waiting() == 2, 5, "both callers wait")
    agent1 = phones.agent("agent1", "uas_answer_bye", delay_ms=300)
    pbx.engine.login("agent1")
    assert agent1.wait(10) == 0
    assert first.wait(10) == 0
    assert second.process.poll() is None  # still waiting: one agent, one call at a time
    agent1 = phones.agent("agent1", "uas_answer_bye", delay_ms=300)
    assert agent1.wait(10) == 0
    assert second.wait(10) == 0
    records = ended_records(pbx.engine, before, count=2)
    assert [(r["outcome"], r["agent_id"]) for r in records] == [("answered", "agent1")] * 2
    assert records[0]["wait_seconds"] < records[1]["wait_seconds"]


def test_a_bridged_caller_and_agent_hear_each_other(pbx: Pbx, phones: Phones) -> None:
    # The bridge is made while the agent's phone rings and both channels go into it with one
    # request when the agent answers: the audio must flow both ways all the same.
    before = pbx.known_records()
    phones.agent("agent1", "uas_answer", delay_ms=500, echo=True)
    pbx.engine.login("agent1")
    caller = phones.caller("1701", [4000], media=True)
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "caller and agent1 in one bridge")
    # The agent's phone only ever hears the bridge (no music is played to it) and sends back
    # what it hears: packets from it are the caller's voice, carried there and back.
    wait_for(lambda: pbx.rtp_received_from("agent1") >= 50, 5, "the caller's audio echoed back")
    assert caller.wait(15) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent1")


def test_the_next_call_is_bridged_in_the_bridge_the_last_one_left_empty(
    pbx: Pbx, phones: Phones
) -> None:
    """A bridge is kept for the next call once its call's channels have left it: Asterisk
    takes two new channels into it as into a new one (acd/engine/bridges.py)."""
    before = pbx.known_records()
    phones.agent("agent1", "uas_answer", delay_ms=300)
    phones.agent("agent2", "uas_answer", delay_ms=300)
    pbx.engine.login("agent1", "agent2")

    def caller_bridge() -> str | None:
        names = {c["id"]: c["name"] for c in pbx.asterisk.channels()}
        return next(
            (
                b["id"]
                for b in pbx.asterisk.bridges()
                if len(b["channels"]) == 2
                and any("caller" in names.get(ch, "") for ch in b["channels"])
            ),
            None,
        )

    used = []
    for _ in range(2):
        caller = phones.caller("1701", [1500])
        used.append(wait_for(caller_bridge, 10, "the caller bridged with an agent"))
        assert caller.wait(15) == 0
        wait_for(lambda: not pbx.asterisk.channels(), 10, "both legs gone")
        kept = {b["id"]: b["channels"] for b in pbx.asterisk.bridges()}
        assert kept.get(used[-1]) == []  # still there, empty
    assert used[0] == used[1]
    records = ended_records(pbx.engine, before, count=2)
    assert [r["outcome"] for r in records] == ["answered", "answered"]
    assert {r["agent_id"] for r in records} == {"agent1", "agent2"}


def test_a_kept_bridge_destroyed_behind_the_engines_back_does_not_keep_the_next_call_apart(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    phones.agent("agent1", "uas_answer", delay_ms=300)
    pbx.engine.login("agent1")
    caller = phones.caller("1701", [1000])
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "caller and agent1 in one bridge")
    assert caller.wait(15) == 0
    wait_for(lambda: not pbx.asterisk.channels(), 10, "both legs gone")
    for bridge in pbx.asterisk.bridges():  # as `bridge destroy` at the console would
        status, _ = pbx.asterisk.ari("DELETE", f"/bridges/{bridge['id']}")
        assert status == 204
    phones.agent("agent2", "uas_answer", delay_ms=300)  # agent1 is in wrap-up
    pbx.engine.login("agent2")
    caller = phones.caller("1701", [1500])
    # addChannel answers 404 "Bridge not found": the engine makes another and bridges them.
    log_from = pbx.engine.log.stat().st_size
    wait_for(lambda: pbx.bridged_with_caller("agent2"), 10, "the next caller bridged anew")
    assert "gone; bridged anew" in pbx.engine.log.read_text()[log_from:]
    assert caller.wait(15) == 0
    records = ended_records(pbx.engine, before, count=2)
    assert [(r["outcome"], r["agent_id"]) for r in records] == [
        ("answered", "agent1"),
        ("answered", "agent2"),
    ]
