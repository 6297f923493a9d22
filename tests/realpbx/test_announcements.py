"""A position announcement through a real Asterisk: said with sound files, it stops as soon as
an agent answers, and the caller hears the agent at once.

With ``number:`` media it did not: Asterisk cannot stop a said item and holds ``addChannel``
until the playback has ended (``said_add_channel.jsonl``), 3.2 s of "...42 calls waiting"
after the agent had answered.
"""

from __future__ import annotations

import time

import pytest

from tests.realpbx.harness import Pbx, Phones, endpoint_of
from tests.realpbx.test_ivr import played_to

pytestmark = pytest.mark.realpbx


def test_a_caller_hearing_their_position_is_bridged_at_once_when_the_agent_answers(
    pbx: Pbx, phones: Phones
) -> None:
    log_from = pbx.asterisk.log.stat().st_size
    # agent4 (the only agent of 1703) will ring 0.8 s before answering.
    agent = phones.agent("agent4", "uas_answer", delay_ms=800)
    # 1703 (English) says the position 1 s after queueing; the first caller (the citizen's
    # number) hears none, being next, and leaves after 2.5 s.  The second ("caller") hears
    # "there are" (2.7 s), "2" (0.75 s), "calls waiting" (2.5 s), "thank you..." (1.6 s).
    first = phones.caller("1703", [2500], user="0470123456")
    time.sleep(0.3)
    second = phones.caller("1703", [12000])  # hangs up 12 s after the IVR answered
    deadline = time.monotonic() + 10
    while "queue-thereare" not in played_to(pbx, "caller", log_from):
        assert time.monotonic() < deadline, "the second caller never heard their position"
        time.sleep(0.01)
    announced_at = time.monotonic()
    assert first.wait(5) == 0  # gone: the second caller is next
    # Logged in 2.1 s into the announcement, agent4 answers about 3.0 s into it: while the
    # number is said, where a said number: item held the caller out of the bridge.
    time.sleep(max(0.0, announced_at + 2.1 - time.monotonic()))
    pbx.engine.login("agent4")
    answered_at = bridged_at = None
    deadline = time.monotonic() + 15
    while bridged_at is None and time.monotonic() < deadline:
        now = time.monotonic()
        if answered_at is None and any(
            endpoint_of(c["name"]) == "agent4" and c["state"] == "Up"
            for c in pbx.asterisk.channels()
        ):
            answered_at = now
        if pbx.bridged_with_caller("agent4"):
            bridged_at = now
        time.sleep(0.02)
    assert answered_at is not None, "agent4 never answered"
    assert bridged_at is not None, "the caller never joined agent4"
    heard = played_to(pbx, "caller", log_from)
    # The agent answered while the announcement played: it was cut before its last sound.
    assert "queue-thankyou" not in heard, heard
    assert bridged_at - answered_at < 1.0, f"{bridged_at - answered_at:.2f} s, heard: {heard}"
    assert second.wait(10) == 0  # talked, hung up
    assert agent.wait(10) == 0  # and the engine hung the agent up
