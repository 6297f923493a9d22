"""A restart never cuts a conversation, on a real Asterisk: the engine is killed (SIGKILL) while
a sipp caller talks to a sipp agent and started again on the same database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.realpbx.harness import Pbx, Phones, ended_records, wait_for

pytestmark = pytest.mark.realpbx

TALK_MS = 20_000


def test_a_conversation_goes_on_through_a_kill_9_of_the_engine(pbx: Pbx, phones: Phones) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_answer", delay_ms=500)
    pbx.engine.login("agent1")
    # Talks 20 s after the answer, then hangs up itself: longer than a restart of `acd run`
    # (a new Python process, its store opened, an admin token made by `acd tokens add`) takes
    # on a busy 2-core machine, where 8 s was too short (the caller left before the check).
    caller = phones.caller("1701", [TALK_MS])
    wait_for(lambda: pbx.bridged_with_caller("agent1"), 10, "caller and agent1 in one bridge")
    wait_for(
        lambda: any(r["answered_at"] for r in pbx.engine.records() if r["id"] not in before),
        5,
        "the answer is on disk",
    )

    killed_at = datetime.now(UTC)
    pbx.engine = pbx.engine.killed_and_restarted(pbx.asterisk)
    restarted_at = datetime.now(UTC)
    assert pbx.bridged_with_caller("agent1")  # nothing was cut
    assert pbx.engine.agents()["agent1"]["activity"] == "on_call"

    assert caller.wait(TALK_MS / 1000 + 10) == 0  # hung up by itself after its talk: not cut
    assert agent1.wait(10) == 0  # the restarted engine hung the agent up after the caller left
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent1")
    # Talk time from the first answer, across the restart, to the caller's hang-up.
    assert utc(record["answered_at"]) < killed_at < restarted_at < utc(record["ended_at"])
    assert [o["result"] for o in record["offers"]] == ["answered"]


def utc(stored: str) -> datetime:
    """A time as the SQLite store keeps it: UTC, written without its offset."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def test_a_queued_caller_keeps_their_place_through_a_kill_9_and_is_served_after(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    caller = phones.caller("1701", hang_up=False)  # nobody logged in: waits for the PBX's BYE
    wait_for(lambda: pbx.engine.waiting() == 1, 5, "the caller waits in the queue")
    queued_at = datetime.now(UTC)

    pbx.engine = pbx.engine.killed_and_restarted(pbx.asterisk)
    # Asterisk kept the caller in Stasis; the restarted engine finds them waiting again.
    wait_for(lambda: pbx.engine.waiting() == 1, 10, "the caller waits after the restart")
    assert caller.process.poll() is None  # never hung up

    agent1 = phones.agent("agent1", "uas_answer_bye", delay_ms=500)  # answers, BYE 0.5 s later
    pbx.engine.login("agent1")
    assert agent1.wait(10) == 0
    assert caller.wait(10) == 0  # hung up by the engine once the agent left: not before
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", "agent1")
    assert [(o["agent_id"], o["result"]) for o in record["offers"]] == [("agent1", "answered")]
    # The wait counts from the first arrival, across the restart, not from the restart.
    waited = (datetime.now(UTC) - queued_at).total_seconds()
    assert record["wait_seconds"] >= waited - 3.0
