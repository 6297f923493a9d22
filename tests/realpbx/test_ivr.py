"""A DTMF menu and a callback through a real Asterisk: the digits are SIP INFO from sipp
callers, which Asterisk reports as ChannelDtmfReceived like RFC 4733 digits."""

from __future__ import annotations

import pytest

from tests.realpbx.conftest import Pbx
from tests.realpbx.harness import Phones, ended_records, wait_for
from tests.realpbx.test_calls import bridged_with_caller, known

pytestmark = pytest.mark.realpbx


def test_a_menu_choice_routes_the_call_to_that_line_code(pbx: Pbx, phones: Phones) -> None:
    before = known(pbx)
    agent1 = phones.agent("agent1", "uas_answer")  # general and sales: the wrong agent
    phones.agent("agent3", "uas_answer", delay_ms=500)  # support
    pbx.engine.login("agent1", "agent3")
    # The welcome and the menu prompt are one beep each; 2 is "support".
    caller = phones.caller("1700", [1500, "2", 3000])
    wait_for(lambda: bridged_with_caller(pbx, "agent3"), 10, "caller and agent3 in one bridge")
    assert caller.wait(15) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["line_code"]) == (
        "answered",
        "agent3",
        "support",
    )
    assert agent1.process.poll() is None  # agent1's phone never rang
    assert "INVITE" not in (phones.workdir / "agent1.messages.log").read_text(errors="replace")
