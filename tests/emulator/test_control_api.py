"""The ``/emulator`` control API drives the same PBX as the Python API."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.emulator.ari import Ari


async def control(ari: Ari, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with ari.session.request(
        method,
        f"{ari.emu.url}/emulator{path}",
        json=body,
        headers={"Authorization": ari._basic},
    ) as response:
        text = await response.text()
        return response.status, (await response.json()) if text else None


async def test_a_call_placed_over_http_with_a_script(ari: Ari) -> None:
    events = await ari.events()
    script = {"dtmf": [[0.5, "12"]], "hangup_after_s": 20}
    status, placed = await control(
        ari, "POST", "/calls", {"number": "1701", "caller_number": "0470", "script": script}
    )
    assert status == 201
    assert placed["rejected"] is False
    channel_id = placed["channel_id"]
    start = await events.wait_for("StasisStart")
    assert start["channel"]["caller"]["number"] == "0470"
    await ari.call("POST", f"/channels/{channel_id}/answer")
    assert [(await events.wait_for("ChannelDtmfReceived"))["digit"] for _ in "12"] == ["1", "2"]
    status, channels = await control(ari, "GET", "/channels")
    assert [c["id"] for c in channels] == [channel_id]
    assert channels[0]["stasis_app"] == "acd"
    status, _ = await control(ari, "POST", f"/channels/{channel_id}/dtmf", {"digits": "#"})
    assert status == 204
    assert (await events.wait_for("ChannelDtmfReceived"))["digit"] == "#"
    assert (await control(ari, "POST", f"/channels/{channel_id}/hangup", {}))[0] == 204
    await events.wait_for("StasisEnd")
    status, call = await control(ari, "GET", f"/calls/{channel_id}")
    assert (status, call["cause"]) == (200, 16)


async def test_bad_control_requests_get_a_400(ari: Ari) -> None:
    assert (await control(ari, "POST", "/calls", {}))[0] == 400
    assert (await control(ari, "POST", "/calls", {"number": "1700", "script": {"x": 1}}))[0] == 201
    bad_script = {"number": "1700", "script": {"dtmf": [[1, "Z"]]}}
    assert (await control(ari, "POST", "/calls", bad_script))[0] == 400
    assert (await control(ari, "POST", "/channels/nope/hangup"))[0] == 404
    assert (await control(ari, "PUT", "/endpoints/PJSIP/agent1", {"mode": "fly"}))[0] == 400


async def test_endpoints_can_be_changed_over_http(ari: Ari) -> None:
    status, spec = await control(
        ari, "PUT", "/endpoints/PJSIP/agent1", {"mode": "busy", "ring_s": 0.5}
    )
    assert (status, spec["behaviour"]) == (200, {"mode": "busy", "ring_s": 0.5})
    status, endpoints = await control(ari, "GET", "/endpoints")
    assert {"endpoint": "PJSIP/agent1", "online": True, "behaviour": spec["behaviour"]} in endpoints


async def test_request_log_stats_and_faults(ari: Ari) -> None:
    events = await ari.events()
    await ari.call("GET", "/channels")
    await ari.call("POST", "/bridges/b1", type="holding")
    status, log = await control(ari, "GET", "/requests")
    assert status == 200
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/ari/events", 101),
        ("GET", "/ari/channels", 200),
        ("POST", "/ari/bridges/b1", 200),
    ]
    assert log[2]["query"] == {"type": "holding"}
    assert [r.path for r in ari.emu.requests(method="POST")] == ["/ari/bridges/b1"]
    assert (await control(ari, "DELETE", "/requests"))[0] == 204
    assert ari.emu.request_log == []
    status, stats = await control(ari, "GET", "/stats")
    assert (stats["bridges"], stats["apps"]) == (1, {"acd": True})
    status, bridges = await control(ari, "GET", "/bridges")
    assert bridges[0]["id"] == "b1"
    assert (await control(ari, "POST", "/faults/drop-websockets", {}))[0] == 204
    await asyncio.sleep(0.1)
    assert events.ws.closed


async def test_control_api_needs_the_credentials(ari: Ari) -> None:
    async with ari.session.get(f"{ari.emu.url}/emulator/stats") as response:
        assert response.status == 401
