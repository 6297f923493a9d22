"""A DTMF menu and a callback through a real Asterisk: the digits are SIP INFO from sipp
callers, which Asterisk reports as ChannelDtmfReceived like RFC 4733 digits."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.realpbx.harness import Pbx, Phones, ended_records, endpoint_of, wait_for

pytestmark = pytest.mark.realpbx


def test_a_menu_choice_routes_the_call_to_that_line_code(pbx: Pbx, phones: Phones) -> None:
    before = pbx.known_records()
    agent1 = phones.agent("agent1", "uas_answer")  # general and sales: the wrong agent
    phones.agent("agent3", "uas_answer", delay_ms=500)  # support
    pbx.engine.login("agent1", "agent3")
    # The welcome and the menu prompt are one beep each; 2 is "support".
    caller = phones.caller("1700", [1500, "2", 3000])
    wait_for(lambda: pbx.bridged_with_caller("agent3"), 10, "caller and agent3 in one bridge")
    assert caller.wait(15) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"], record["line_code"]) == (
        "answered",
        "agent3",
        "support",
    )
    assert agent1.process.poll() is None  # agent1's phone never rang
    assert "INVITE" not in (phones.workdir / "agent1.messages.log").read_text(errors="replace")


def callbacks(pbx: Pbx) -> list[dict[str, Any]]:
    status, body = pbx.engine.api("GET", "/api/callbacks")
    assert status == 200, body
    return list(body["callbacks"])


def played_to(pbx: Pbx, endpoint: str, since: int) -> str:
    """What Asterisk played to ``endpoint``'s channels since byte ``since`` of its log (the
    ``Playing 'file'`` lines of verbose level 3), in words: digit files run together, a
    ``silence/1`` as a space, any other sound by its name (``beep 0470 12 34 56``)."""
    with pbx.asterisk.log.open("rb") as log:
        log.seek(since)
        lines = log.read().decode(errors="replace").splitlines()
    text = ""
    for line in lines:
        played = re.search(rf"<PJSIP/{re.escape(endpoint)}-\w+> Playing '([^.']+)", line)
        if played is None:
            continue
        sound = played.group(1)
        digit = sound.removeprefix("digits/")
        text += digit if digit.isdigit() else " " if sound == "silence/1" else f" {sound} "
    return " ".join(text.split())


def test_an_accepted_callback_rings_the_agent_first_then_the_citizen(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    log_from = pbx.asterisk.log.stat().st_size
    # Nobody is logged in: after 2 s in the queue the offer comes; 1 accepts it, 1 keeps the
    # caller's own number (0470 12 34 56) about 1.5 s into its read-out, the confirmation says
    # the number (about 11 s of digits and pauses), then the PBX hangs up: about 17.5 s in all.
    caller = phones.caller("1702", [3500, "1", 2000, "1"], hang_up=False, user="0470123456")
    assert caller.wait(22) == 0
    # The caller's 1 cut the read-out at once, so the number is heard in full only once: the
    # offer's beep, the question's beep, the read-out cut short, the confirmation's beep and
    # the number.
    heard = played_to(pbx, "0470123456", log_from)
    said = re.fullmatch(r"beep beep ([\d ]+) beep 0470 12 34 56", heard)
    assert said is not None, heard
    cut = said.group(1)
    assert "0470 12 34 56".startswith(cut), heard
    assert cut != "0470 12 34 56", heard
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["caller_number"]) == ("callback_requested", "0470123456")
    (callback,) = [c for c in callbacks(pbx) if c["contact_id"] == record["id"]]
    assert (callback["number"], callback["status"]) == ("+32470123456", "pending")

    # A calm moment: agent3 (support) logs in and idles.  The dialer rings agent3 first and
    # dials the citizen only once the agent has answered.
    agent3 = phones.agent("agent3", "uas_answer", delay_ms=1000)
    citizen = phones.agent("citizen", "uas_answer_bye", delay_ms=1500)
    pbx.engine.login("agent3")
    seen: dict[str, float] = {}
    start = time.monotonic()
    while citizen.process.poll() is None and time.monotonic() - start < 20:
        for channel in pbx.asterisk.channels():
            who = endpoint_of(channel["name"])
            seen.setdefault(f"{who} rings", time.monotonic())
            if channel["state"] == "Up":
                seen.setdefault(f"{who} up", time.monotonic())
        if any({"agent3", "cb32470123456"} <= pair for pair in pbx.asterisk.bridged_pairs()):
            seen.setdefault("bridged", time.monotonic())
        time.sleep(0.05)
    assert citizen.wait(1) == 0  # answered, talked, hung up
    assert agent3.wait(10) == 0  # the engine hung up the agent after the citizen left
    order = sorted(seen, key=seen.__getitem__)
    assert order.index("agent3 up") < order.index("cb32470123456 rings"), order
    assert "bridged" in seen, order

    def completed() -> dict[str, Any] | None:
        (done,) = [c for c in callbacks(pbx) if c["id"] == callback["id"]]
        return done if done["status"] == "completed" else None

    done = wait_for(completed, 10, "the callback is completed")
    assert done["agent_id"] == "agent3" or done["attempts"][-1].get("agent_id") == "agent3"
