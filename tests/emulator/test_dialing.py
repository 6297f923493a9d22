"""Outbound legs and the scripted far ends (endpoint behaviours)."""

from __future__ import annotations

import asyncio
import random

import aiohttp
import pytest

from emulator import (
    EndpointBehaviour,
    EndpointSpec,
    Mode,
    RandomBehaviour,
    reference_config,
    run_emulator,
)
from emulator.config import config_from_dict
from foundation.errors import ConfigError
from tests.emulator.ari import Ari


async def test_an_unreachable_endpoint_fails_after_sip_timer_b(ari: Ari) -> None:
    events = await ari.events()
    loop = asyncio.get_running_loop()
    start = loop.time()
    await ari.call("POST", "/channels/u1", endpoint="PJSIP/unreach", app="acd", timeout=45)
    destroyed = await events.wait_for("ChannelDestroyed")
    assert abs(loop.time() - start - 32) < 0.01
    assert (destroyed["cause"], destroyed["tech_cause"]) == (18, 408)


async def test_an_originate_timeout_destroys_the_leg_exactly_on_time(ari: Ari) -> None:
    events = await ari.events()
    loop = asyncio.get_running_loop()
    start = loop.time()
    await ari.call("POST", "/channels/r1", endpoint="PJSIP/agent3", app="acd", timeout=7)
    destroyed = await events.wait_for("ChannelDestroyed")
    assert loop.time() - start == 7
    assert destroyed["cause_txt"] == "User alerting, no answer"


async def test_no_timeout_rings_until_cancelled(ari: Ari) -> None:
    events = await ari.events()
    await ari.call("POST", "/channels/r1", endpoint="PJSIP/agent3", app="acd", timeout=-1)
    await asyncio.sleep(3600)
    assert ari.emu.pbx.channels["r1"].state == "Ringing"
    assert (await ari.call("DELETE", "/channels/r1"))[0] == 204
    assert (await events.wait_for("Dial", dialstatus="NOANSWER"))["peer"]["id"] == "r1"
    assert (await events.wait_for("ChannelDestroyed"))["cause"] == 16


async def test_an_agent_that_hangs_up_after_talking(ari: Ari) -> None:
    events = await ari.events()
    ari.emu.pbx.set_endpoint("PJSIP/agent1", EndpointBehaviour.answer(2.0, hangup_after_s=5))
    await ari.call("POST", "/channels/a1", endpoint="PJSIP/agent1", app="acd", appArgs="x,y")
    start = await events.wait_for("StasisStart")
    assert start["args"] == ["x", "y"]
    hangup = await events.wait_for("ChannelHangupRequest")
    assert "cause" not in hangup
    assert (await events.wait_for("ChannelDestroyed"))["cause"] == 16


async def test_an_endpoint_set_offline_cannot_be_dialled(ari: Ari) -> None:
    ari.emu.pbx.set_endpoint("agent1", online=False)
    assert await ari.call("POST", "/channels", endpoint="PJSIP/agent1", app="acd") == (
        500,
        {"error": "Allocation failed"},
    )
    status, endpoint = await ari.call("GET", "/endpoints/PJSIP/agent1")
    assert (status, endpoint["state"]) == (200, "offline")


async def test_a_new_endpoint_can_be_added_at_run_time(ari: Ari) -> None:
    await ari.events()
    ari.emu.pbx.set_endpoint("PJSIP/agent9", EndpointBehaviour.busy(1.0))
    status, _ = await ari.call("POST", "/channels/x", endpoint="PJSIP/agent9", app="acd")
    assert status == 200


@pytest.mark.unit
def test_random_behaviour_is_reproducible_with_a_seed() -> None:
    behaviour = RandomBehaviour(
        {Mode.ANSWER: 3, Mode.BUSY: 1, Mode.RING: 1}, ring_s=(1, 5), talk_s=(10, 20)
    )
    rng, same = random.Random(7), random.Random(7)
    picks = [behaviour.pick(rng) for _ in range(50)]
    assert picks == [behaviour.pick(same) for _ in range(50)]
    assert {p.mode for p in picks} == {Mode.ANSWER, Mode.BUSY, Mode.RING}
    answered = [p for p in picks if p.mode is Mode.ANSWER]
    assert all(1 <= p.ring_s <= 5 and 10 <= (p.hangup_after_s or 0) <= 20 for p in answered)


async def test_create_then_dial_a_busy_agent(ari: Ari) -> None:
    events = await ari.events()
    await ari.call("POST", "/channels/create", endpoint="PJSIP/agent4", app="acd", channelId="c1")
    await events.wait_for("StasisStart")
    await ari.call("POST", "/channels/c1/dial", timeout=10)
    hangup = await events.wait_for("ChannelHangupRequest")
    assert (hangup["cause"], hangup["tech_cause"]) == (17, 486)
    await events.wait_for("StasisEnd")
    assert (await events.wait_for("ChannelDestroyed"))["cause_txt"] == "User busy"


async def test_a_trunk_dials_each_number_with_its_own_far_end() -> None:
    """``PJSIP/<number>@trunk``: the escalation points behind the trunk answer, ring out or are
    busy, each as configured; an unlisted number gets the trunk's own behaviour."""
    trunk = EndpointSpec(
        "trunk",
        EndpointBehaviour.answer(2.0),
        context="from-trunk",
        numbers={"+3225532100": EndpointBehaviour.busy(0.5)},
    )
    async with (
        run_emulator(config=reference_config().with_endpoint(trunk)) as emu,
        aiohttp.ClientSession() as session,
    ):
        ari = Ari(emu, session)
        events = await ari.events()
        await ari.call(
            "POST", "/channels/es-1", endpoint="PJSIP/+3211123456@trunk", app="acd", timeout=30
        )
        start = await events.wait_for("StasisStart")
        assert start["channel"]["name"].startswith("PJSIP/trunk-")
        dialled = await events.wait_for("Dial", dialstatus="ANSWER")
        assert dialled["peer"]["id"] == "es-1"
        await ari.call(
            "POST", "/channels/es-2", endpoint="PJSIP/+3225532100@trunk", app="acd", timeout=30
        )
        hangup = await events.wait_for("ChannelHangupRequest")
        assert (hangup["channel"]["id"], hangup["cause"]) == ("es-2", 17)
        assert (await events.wait_for("Dial", dialstatus="BUSY"))["peer"]["id"] == "es-2"


async def test_a_trunk_dialled_with_a_sip_uri_reaches_the_numbers_far_end() -> None:
    """``PJSIP/<trunk>/sip:<number>@<host>`` as Asterisk 22 dials it (the Dial events name the
    resource as given); ``PJSIP/<trunk>/<number>`` is no URI and no AOR: 500, as in Asterisk
    ("Could not create dialog to invalid URI '+3225532100'")."""
    trunk = EndpointSpec(
        "trunk",
        EndpointBehaviour.answer(2.0),
        context="from-trunk",
        numbers={"+3225532100": EndpointBehaviour.busy(0.5)},
    )
    async with (
        run_emulator(config=reference_config().with_endpoint(trunk)) as emu,
        aiohttp.ClientSession() as session,
    ):
        ari = Ari(emu, session)
        events = await ari.events()
        status, body = await ari.call(
            "POST", "/channels", endpoint="PJSIP/trunk/+3225532100", app="acd", timeout=30
        )
        assert (status, body) == (500, {"error": "Allocation failed"})
        uri = "sip:+3225532100@192.0.2.1:5060"
        status, _ = await ari.call(
            "POST", "/channels/es-1", endpoint=f"PJSIP/trunk/{uri}", app="acd", timeout=30
        )
        assert status == 200
        assert (await events.wait_for("Dial", dialstatus=""))["dialstring"] == f"trunk/{uri}"
        busy = await events.wait_for("Dial", dialstatus="BUSY")  # that number's far end
        assert (busy["peer"]["id"], busy["dialstring"]) == ("es-1", f"trunk/{uri}")


async def test_a_number_through_an_unknown_trunk_cannot_be_dialled(ari: Ari) -> None:
    status, body = await ari.call("POST", "/channels", endpoint="PJSIP/+3211@nowhere", app="acd")
    assert (status, body) == (500, {"error": "Allocation failed"})


@pytest.mark.unit
def test_a_trunk_in_the_emulator_config_lists_its_numbers() -> None:
    config = config_from_dict(
        {"endpoints": {"PJSIP/trunk": {"mode": "answer", "numbers": {"+3211": {"mode": "busy"}}}}}
    )
    (trunk,) = config.endpoints
    assert trunk.behaviour_for("+3211") == EndpointBehaviour.busy()
    assert trunk.behaviour_for("+3299") == EndpointBehaviour.answer()
    with pytest.raises(ConfigError, match=r"endpoints.PJSIP/trunk.numbers.\+3211"):
        config_from_dict({"endpoints": {"PJSIP/trunk": {"numbers": {"+3211": {"mode": "x"}}}}})
