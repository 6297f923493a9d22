"""Refusals answer like Asterisk 22: status codes from the Swagger/C sources, Asterisk's wording."""

from __future__ import annotations

import base64

import pytest

from emulator.pbx import Pbx
from tests.emulator.ari import Ari


async def answered_call(ari: Ari) -> str:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    assert (await ari.call("POST", f"/channels/{channel_id}/answer"))[0] == 204
    return channel_id


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 401), ("?api_key=asterisk:wrong", 401), ("?api_key=asterisk:asterisk", 200)],
)
async def test_api_key_is_required(ari: Ari, query: str, status: int) -> None:
    async with ari.session.get(f"{ari.emu.url}/ari/asterisk/ping{query}") as response:
        assert response.status == status
        if status == 401:
            assert await response.json() == {"message": "Authentication required"}
            assert "Basic" in response.headers["WWW-Authenticate"]


async def test_unknown_paths_and_methods(ari: Ari) -> None:
    assert await ari.call("GET", "/nothing/here") == (404, {"message": "Resource not found"})
    assert await ari.call("PUT", "/channels") == (405, {"message": "Invalid method"})


async def test_channel_errors(ari: Ari) -> None:
    assert await ari.call("GET", "/channels/nope") == (404, {"message": "Channel not found"})
    assert await ari.call("POST", "/channels/nope/answer") == (
        404,
        {"message": "Channel not found"},
    )
    assert await ari.call("DELETE", "/channels/nope") == (404, {"message": "Channel not found"})
    channel_id = await answered_call(ari)
    assert await ari.call("DELETE", f"/channels/{channel_id}", reason="sleepy") == (
        400,
        {"message": "Invalid reason for hangup provided"},
    )
    assert (await ari.call("GET", f"/channels/{channel_id}/variable"))[0] == 400
    assert await ari.call("GET", f"/channels/{channel_id}/variable", variable="NOPE") == (
        404,
        {"message": "Provided variable was not found"},
    )
    assert (await ari.call("POST", f"/channels/{channel_id}/play"))[0] == 400


async def test_a_ringing_originate_is_not_yet_in_stasis(ari: Ari) -> None:
    await ari.events()
    status, chan = await ari.call("POST", "/channels/ag-1", endpoint="PJSIP/agent3", app="acd")
    assert (status, chan["state"]) == (200, "Down")
    assert await ari.call("POST", "/channels/ag-1/answer") == (
        409,
        {"message": "Channel not in Stasis application"},
    )
    await ari.call("POST", "/bridges/b1", type="mixing")
    assert await ari.call("POST", "/bridges/b1/addChannel", channel="ag-1") == (
        422,
        {"message": "Channel not in Stasis application"},
    )
    assert await ari.call("POST", "/bridges/b1/addChannel", channel="ghost") == (
        400,
        {"message": "Channel not found"},
    )
    assert await ari.call("POST", "/bridges/b1/addChannel") == (
        400,
        {"message": "Missing parameter channel"},
    )
    assert await ari.call("POST", "/channels/ag-1", endpoint="PJSIP/agent1", app="acd") == (
        409,
        {"message": "Channel with given unique ID already exists"},
    )


async def test_a_created_channel_is_in_stasis_but_down(ari: Ari) -> None:
    events = await ari.events()
    await ari.call("POST", "/channels/create", endpoint="PJSIP/agent1", app="acd", channelId="c1")
    await events.wait_for("StasisStart", channel__state="Down")
    assert await ari.call("POST", "/channels/c1/answer") == (
        412,
        {"message": "Channel in invalid state"},
    )
    assert (await ari.call("POST", "/channels/c1/play", media="sound:beep"))[0] == 412
    assert (await ari.call("POST", "/channels/c1/dial", timeout=5))[0] == 204
    assert await ari.call("POST", "/channels/c1/dial") == (
        409,
        {"message": "Dialing a channel not created by ARI"},
    )


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        ({}, 400, {"message": "Endpoint must be specified"}),
        ({"endpoint": "PJSIP"}, 400, {"message": "Invalid endpoint specified"}),
        (
            {"endpoint": "PJSIP/agent1"},
            400,
            {"message": "Application or extension must be specified"},
        ),
        ({"endpoint": "PJSIP/nosuch", "app": "acd"}, 500, {"error": "Allocation failed"}),
        ({"endpoint": "FOO/bar", "app": "acd"}, 500, {"error": "Allocation failed"}),
        ({"endpoint": "PJSIP/caller", "app": "acd"}, 500, {"error": "Allocation failed"}),
        ({"endpoint": "Local/nothing@here", "app": "acd"}, 500, {"error": "Allocation failed"}),
        (
            {"endpoint": "PJSIP/agent1", "app": "acd", "originator": "ghost"},
            400,
            {"message": "Provided originator channel was not found"},
        ),
        ({"endpoint": "PJSIP/agent1", "app": "acd", "timeout": "soon"}, 400, None),
    ],
)
async def test_originate_refusals(
    ari: Ari, params: dict[str, str], status: int, body: object
) -> None:
    got_status, got_body = await ari.call("POST", "/channels", **params)
    assert got_status == status
    if body is not None:
        assert got_body == body
    assert ari.emu.pbx.channel_count == 0


async def test_originate_accepts_a_json_body_with_variables(ari: Ari) -> None:
    await ari.events()
    body = {"endpoint": "PJSIP/agent1", "app": "acd", "variables": {"X_TEAM": "blue"}}
    status, chan = await ari.call("POST", "/channels", json_body=body)
    assert status == 200
    assert ari.emu.pbx.channels[chan["id"]].variables["X_TEAM"] == "blue"
    status, _ = await ari.call("POST", "/channels", json_body={**body, "variables": {"N": 1}})
    assert status == 400


async def test_bridge_errors(ari: Ari) -> None:
    assert await ari.call("GET", "/bridges/nope") == (404, {"message": "Bridge not found"})
    assert (await ari.call("POST", "/bridges", bridgeId="b1"))[0] == 200
    assert await ari.call("POST", "/bridges", bridgeId="b1") == (
        409,
        {"message": "Bridge with the same bridgeId already exists"},
    )
    assert (await ari.call("POST", "/bridges/b2", type="warp"))[0] == 500
    assert await ari.call("DELETE", "/bridges/b1/moh") == (
        409,
        {"message": "Bridge isn't playing music"},
    )
    channel_id = await answered_call(ari)
    assert await ari.call("POST", "/bridges/b1/removeChannel", channel=channel_id) == (
        422,
        {"message": "Channel not in this bridge"},
    )
    assert (await ari.call("POST", "/bridges/b1/record", name="r", format="mp9"))[0] == 422
    assert (await ari.call("POST", "/bridges/b1/record", name="r"))[0] == 400


async def test_playback_and_recording_lookups(ari: Ari) -> None:
    assert await ari.call("GET", "/playbacks/nope") == (404, {"message": "Playback not found"})
    assert await ari.call("DELETE", "/playbacks/nope") == (404, {"message": "Playback not found"})
    assert await ari.call("GET", "/recordings/live/x") == (404, {"message": "Recording not found"})
    assert await ari.call("GET", "/recordings/stored/x") == (
        404,
        {"message": "Recording not found"},
    )
    assert await ari.call("GET", "/sounds/nope") == (404, {"message": "Sound not found"})
    assert (await ari.call("GET", "/sounds/hello-world"))[0] == 200


async def test_subscription_errors(ari: Ari) -> None:
    assert await ari.call("GET", "/applications/acd") == (
        404,
        {"message": "Application not found"},
    )
    await ari.events()
    assert (await ari.call("POST", "/applications/acd/subscription"))[0] == 400
    assert (await ari.call("POST", "/applications/acd/subscription", eventSource="x:y"))[0] == 400
    assert (await ari.call("POST", "/applications/acd/subscription", eventSource="channel:ghost"))[
        0
    ] == 422
    assert (
        await ari.call("DELETE", "/applications/acd/subscription", eventSource="endpoint:PJSIP")
    )[0] == 409


async def test_an_emulator_bug_answers_500_and_the_server_lives_on(
    ari: Ari, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Pbx, channel_id: str) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(Pbx, "channel", broken)
    assert await ari.call("GET", "/channels/x") == (500, {"message": "Internal emulator error"})
    monkeypatch.undo()
    assert (await ari.call("GET", "/asterisk/ping"))[0] == 200


async def test_basic_auth_works_too(ari: Ari) -> None:
    auth = "Basic " + base64.b64encode(b"asterisk:asterisk").decode()
    async with ari.session.get(
        f"{ari.emu.url}/ari/endpoints", headers={"Authorization": auth}
    ) as response:
        assert response.status == 200
