"""A phone transfer to an escalation point through a real Asterisk: the agent hands the caller to
the point's number over a SIP trunk (endpoint ``trunk``, a sipp UAS standing in for the far
side); the caller ends up talking to the point, or, when the point is busy or does not answer,
back with the agent; outside the point's window nothing is dialled at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.realpbx.harness import Pbx, Phones, ended_records, endpoint_of, tail, wait_for

pytestmark = pytest.mark.realpbx

POINT = "backoffice"  # config/escalation_points.yaml: "02 553 21 00", reachable around the clock
NUMBER = "+3225532100"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def transfer(pbx: Pbx, agent_id: str, point_id: str) -> tuple[int, Any]:
    return pbx.engine.api("POST", f"/api/agents/{agent_id}/transfer", {"point_id": point_id})


def talking(pbx: Pbx, phones: Phones, *, trunk_scenario: str) -> tuple[Any, Any, Any]:
    """A caller on 1701 (sales) talking to agent1; the trunk's far side plays
    ``trunk_scenario``.  Returns the sipp processes (caller, agent1, trunk)."""
    trunk = phones.agent("trunk", trunk_scenario, delay_ms=1500, echo=True)
    agent1 = phones.agent("agent1", "uas_answer", delay_ms=500)
    pbx.engine.login("agent1")
    # Talks (a-law audio) 14 s after the answer, then hangs up itself.
    caller = phones.caller("1701", [14_000], media=True)
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "caller and agent1 in one bridge")
    return caller, agent1, trunk


def asterisk_log_from(pbx: Pbx, since: int) -> str:
    with pbx.asterisk.log.open("rb") as log:
        log.seek(since)
        return log.read().decode(errors="replace")


def sip_messages(phones: Phones, name: str) -> str:
    """What the sipp phone ``name`` sent and received (nothing: no file)."""
    log = phones.workdir / f"{name}.messages.log"
    return log.read_text(errors="replace") if log.exists() else ""


def log_size(pbx: Pbx) -> int:
    return pbx.asterisk.log.stat().st_size if pbx.asterisk.log.exists() else 0


def test_a_transfer_bridges_the_caller_with_the_point_and_frees_the_agent(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    caller, agent1, trunk = talking(pbx, phones, trunk_scenario="uas_answer")

    status, body = transfer(pbx, "agent1", POINT)
    assert (status, body["number"], body["transfer"]) == (202, NUMBER, "dialing")

    # The point's phone rings 1.5 s, answers, and joins the caller's bridge; agent1's leg ends.
    wait_for(lambda: pbx.bridged_with_caller("trunk"), 10, "caller and the point in one bridge")
    assert agent1.wait(5) == 0  # agent1's phone got its BYE: the agent's leg is freed
    assert wait_for(
        lambda: pbx.engine.agents()["agent1"]["activity"] == "wrap_up", 2, "agent1 in wrap-up"
    )
    assert not any("agent1" in pair for pair in pbx.asterisk.bridged_pairs())
    # The caller's voice reaches the point: its phone echoes it back to Asterisk.
    wait_for(lambda: pbx.rtp_received_from("trunk") > 20, 5, "RTP from the point's phone")
    # Dialled through the trunk with the point's number in E.164 as the Request-URI's user.
    assert f"INVITE sip:{NUMBER}@127.0.0.1:" in sip_messages(phones, "trunk")

    assert caller.wait(25) == 0  # talked to the point until it hung up itself
    assert trunk.wait(10) == 0  # the engine hung up the point's leg after the caller left
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["escalation_point"]) == (
        "escalated_phone",
        "agent1",
        POINT,
    )
    assert record["transferred_at"] is not None


@pytest.mark.parametrize("point_phone", ["uas_busy", "uas_noanswer"])
def test_a_point_that_is_busy_or_does_not_answer_gives_the_caller_back_to_the_agent(
    pbx: Pbx, phones: Phones, point_phone: str
) -> None:
    before = pbx.known_records()
    caller, agent1, trunk = talking(pbx, phones, trunk_scenario=point_phone)
    caller_channel = next(
        c["name"] for c in pbx.asterisk.channels() if endpoint_of(c["name"]) == "caller"
    )
    log_from = log_size(pbx)
    engine_log_from = pbx.engine.log.stat().st_size

    status, _ = transfer(pbx, "agent1", POINT)
    assert status == 202
    wait_for(lambda: not pbx.bridged_with_caller("agent1"), 5, "agent1 taken out of the call")
    assert trunk.wait(10) == 0  # the point's phone said 486, or rang until the engine gave up
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "the caller back with agent1")
    assert pbx.engine.agents()["agent1"]["activity"] == "on_call"
    assert agent1.process.poll() is None  # the agent's call went on all along

    # Never in silence: a message, then (the point's phone rang on) music until given up.
    heard = asterisk_log_from(pbx, log_from)
    assert f"<{caller_channel}> Playing 'beep" in heard
    moh = f"Started music on hold, class 'default', on channel '{caller_channel}'"
    assert (moh in heard) is (point_phone == "uas_noanswer")  # a busy point says so at once
    # Why, in the engine's log, from the cause Asterisk gave (17 for 486, 19 at the timeout).
    why = "busy" if point_phone == "uas_busy" else "no answer"
    assert f"transfer to {POINT} failed ({why})" in tail(pbx.engine.log, engine_log_from)

    assert caller.wait(25) == 0
    assert agent1.wait(10) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["escalation_point"]) == (
        "answered",
        "agent1",
        None,
    )


def test_outside_the_points_window_the_transfer_is_refused_and_nothing_is_dialled(
    pbx: Pbx, phones: Phones
) -> None:
    # A point reachable only on the day after tomorrow (Brussels time): closed now, whatever
    # the hour the test runs at.
    day = (datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=2)).weekday()
    point = {
        "id": "afternoon-desk",
        "editorial_title": "Afternoon desk",
        "phone": "011 12 34 56",
        "follows_public_holidays": False,
        "reachability": {WEEKDAYS[day]: ["13:00-16:00"]},
        "line_codes": ["sales"],
    }
    status, body = pbx.engine.api("POST", "/api/escalation-points", point)
    assert status == 201, body
    try:
        caller, _, trunk = talking(pbx, phones, trunk_scenario="uas_answer")

        status, body = transfer(pbx, "agent1", "afternoon-desk")
        assert status == 409, body
        assert body["error"] == "outside_reachability"
        assert f"{WEEKDAYS[day]} 13:00-16:00" in body["message"]

        assert pbx.bridged_with_caller("agent1")  # the call goes on as it was
        assert pbx.engine.agents()["agent1"]["activity"] == "on_call"
        assert not any(endpoint_of(c["name"]) == "trunk" for c in pbx.asterisk.channels())
        assert caller.wait(25) == 0
        assert "INVITE" not in sip_messages(phones, "trunk")
        assert trunk.process.poll() is None  # the point's phone never rang
    finally:
        pbx.engine.api("DELETE", "/api/escalation-points/afternoon-desk")


def test_a_caller_whose_agent_left_while_the_point_rang_goes_to_the_front_of_the_queue(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    trunk = phones.agent("trunk", "uas_noanswer")
    # agent2 rings 2 s, answers, and hangs up 2 s later: while the point's phone rings.
    agent2 = phones.agent("agent2", "uas_answer_bye", delay_ms=2000)
    agent3 = phones.agent("agent3", "uas_answer", delay_ms=500)
    pbx.engine.login("agent2", "agent3")  # agent2 first: more proficient in sales
    caller = phones.caller("1701", [12_000], media=True)
    wait_for(lambda: pbx.bridged_with_caller("agent2"), 10, "caller and agent2 in one bridge")
    log_from = log_size(pbx)
    status, _ = transfer(pbx, "agent2", POINT)
    assert status == 202

    assert agent2.wait(5) == 0  # hung up while the point rang
    pbx.engine.api("POST", "/api/agents/agent2/logout")  # and went home
    assert trunk.wait(10) == 0  # rang the 4 s of escalation_ring_timeout_s, then cancelled
    wait_for(lambda: pbx.bridged_with_caller("agent3"), 10, "the caller with the next agent")
    heard = asterisk_log_from(pbx, log_from)
    assert "Started music on hold, class 'default', on channel 'PJSIP/caller-" in heard

    assert caller.wait(20) == 0
    assert agent3.wait(10) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["escalation_point"]) == (
        "answered",
        "agent3",
        None,
    )
    assert [(o["agent_id"], o["result"]) for o in record["offers"]] == [
        ("agent2", "answered"),
        ("agent3", "answered"),
    ]
