"""The events WebSocket: ownership of an application, outages, fault injection."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.emulator.ari import Ari


async def test_events_during_an_outage_are_lost_and_not_replayed(ari: Ari) -> None:
    first = await ari.events()
    a = ari.emu.pbx.place_call("1700")
    b = ari.emu.pbx.place_call("1701")
    await first.wait_for("StasisStart", channel__id=a)
    await first.wait_for("StasisStart", channel__id=b)
    await first.close()
    await asyncio.sleep(0.1)
    ari.emu.pbx.hangup_from_phone(b)  # nobody hears it
    status, app = await ari.call("GET", "/applications/acd")
    assert (status, app["channel_ids"]) == (200, [a])
    second = await ari.events()
    await asyncio.sleep(1)
    assert second.events == []  # no replay of StasisStart, nothing about b
    ari.emu.pbx.hangup_from_phone(a)
    await second.wait_for("StasisEnd", channel__id=a)


async def test_a_second_socket_replaces_the_first(ari: Ari) -> None:
    first = await ari.events()
    second = await ari.events()
    replaced = await first.wait_for("ApplicationReplaced")
    assert replaced["application"] == "acd"
    ari.emu.pbx.place_call("1700")
    await second.wait_for("StasisStart")
    await asyncio.sleep(0.5)
    assert first.events == []


async def test_dropped_sockets_must_reconnect_and_may_be_refused_for_a_while(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    await ari.emu.drop_websockets(refuse_for_s=10)
    await asyncio.sleep(0.1)
    assert events.ws.closed
    assert channel_id in ari.emu.pbx.channels  # the call goes on
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await ari.events()
    assert refused.value.status == 503
    await asyncio.sleep(10)
    again = await ari.events()
    ari.emu.pbx.hangup_from_phone(channel_id)
    await again.wait_for("StasisEnd")


async def test_one_socket_can_serve_several_applications(ari: Ari) -> None:
    events = await ari.events("acd,other")
    ari.emu.pbx.place_call("1700")
    start = await events.wait_for("StasisStart")
    assert start["application"] == "acd"
    status, apps = await ari.call("GET", "/applications")
    assert status == 200
    assert sorted(app["name"] for app in apps) == ["acd", "other"]


async def test_subscribe_all_sees_what_others_do(ari: Ari) -> None:
    await ari.events("acd")
    ws = await ari.session.ws_connect(ari.emu.events_url("watcher") + "&subscribeAll=true")
    ari.emu.pbx.place_call("1700")
    seen = [await ws.receive_json(timeout=5) for _ in range(3)]
    assert [m["type"] for m in seen] == ["EndpointStateChange", "ChannelCreated", "ChannelDialplan"]
    assert {m["application"] for m in seen} == {"watcher"}
    await ws.close()


async def test_the_events_url_needs_an_application(ari: Ari) -> None:
    url = ari.emu.events_url("acd").replace("app=acd&", "")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await ari.session.ws_connect(url)
    assert refused.value.status == 400


async def test_endpoint_subscription_doubles_the_channel_events(ari: Ari) -> None:
    events = await ari.events()
    status, _ = await ari.call(
        "POST", "/applications/acd/subscription", eventSource="endpoint:PJSIP/agent1"
    )
    assert status == 200
    await ari.call("POST", "/channels/ag-1", endpoint="PJSIP/agent1", app="acd")
    await events.wait_for("StasisStart")
    types = events.types()
    assert types.count("Dial") == 6  # "", RINGING, ANSWER - twice each
    assert types.count("EndpointStateChange") == 1
    assert types.count("ChannelCreated") == 1
