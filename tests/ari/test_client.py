"""AriClient against a loopback server that answers what real Asterisk answered in the traces.

Each replay case calls one client method with the arguments the trace's client used, then
checks the request on the wire is the recorded one (method, path, every query parameter) and
that the recorded answer parses into the typed result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from acd.ari.client import AriClient
from acd.ari.events import Bridge, Channel, Playback
from acd.ari.models import Endpoint, LiveRecording, StoredRecording
from tests.ari.fake_server import FakeAriServer, Seen, _key

Call = Callable[[AriClient], Awaitable[Any]]

# (client call, method, path, query) exactly as in shared/asterisk/ari-traces/<flow>.jsonl
REPLAY: list[tuple[str, Call, str, str, dict[str, str]]] = [
    (
        "originate with id (bridge)",
        lambda c: c.originate(
            "PJSIP/agent1",
            channel_id="ag-41843068",
            app_args=["agent", "agent1", "1795390452.1"],
            caller_id="ACD <1701>",
            timeout_s=20,
            originator="1795390452.1",
        ),
        "POST",
        "/ari/channels/ag-41843068",
        {
            "endpoint": "PJSIP/agent1",
            "app": "acd",
            "appArgs": "agent,agent1,1795390452.1",
            "callerId": "ACD <1701>",
            "timeout": "20",
            "originator": "1795390452.1",
        },
    ),
    (
        "originate without args (originate_failures)",
        lambda c: c.originate(
            "Local/busy@agents", channel_id="fail-local-busy-dc52d3", timeout_s=5
        ),
        "POST",
        "/ari/channels/fail-local-busy-dc52d3",
        {"endpoint": "Local/busy@agents", "app": "acd", "timeout": "5"},
    ),
    (
        "create (create_dial)",
        lambda c: c.create_channel(
            "PJSIP/agent3", channel_id="dial-noans-7b5425", app_args=["agent", "agent3"]
        ),
        "POST",
        "/ari/channels/create",
        {
            "endpoint": "PJSIP/agent3",
            "app": "acd",
            "channelId": "dial-noans-7b5425",
            "appArgs": "agent,agent3",
        },
    ),
    (
        "dial",
        lambda c: c.dial("dial-noans-7b5425", timeout_s=4),
        "POST",
        "/ari/channels/dial-noans-7b5425/dial",
        {"timeout": "4"},
    ),
    (
        "answer",
        lambda c: c.answer("1795390448.0"),
        "POST",
        "/ari/channels/1795390448.0/answer",
        {},
    ),
    (
        "hangup with reason",
        lambda c: c.hangup("1795390550.23", reason="busy"),
        "DELETE",
        "/ari/channels/1795390550.23",
        {"reason": "busy"},
    ),
    (
        "hangup",
        lambda c: c.hangup("ag-41843068"),
        "DELETE",
        "/ari/channels/ag-41843068",
        {},
    ),
    ("ring", lambda c: c.ring("1795390543.22"), "POST", "/ari/channels/1795390543.22/ring", {}),
    (
        "ring_stop",
        lambda c: c.ring_stop("ag-a2cf9960"),
        "DELETE",
        "/ari/channels/ag-a2cf9960/ring",
        {},
    ),
    (
        "start_moh",
        lambda c: c.start_moh("1795390527.15", "default"),
        "POST",
        "/ari/channels/1795390527.15/moh",
        {"mohClass": "default"},
    ),
    (
        "stop_moh",
        lambda c: c.stop_moh("1795390527.15"),
        "DELETE",
        "/ari/channels/1795390527.15/moh",
        {},
    ),
    ("hold", lambda c: c.hold("1795390527.15"), "POST", "/ari/channels/1795390527.15/hold", {}),
    (
        "unhold",
        lambda c: c.unhold("1795390527.15"),
        "DELETE",
        "/ari/channels/1795390527.15/hold",
        {},
    ),
    (
        "play with lang",
        lambda c: c.play("1795390448.0", "sound:hello-world", "pb-e0a700a8", lang="en"),
        "POST",
        "/ari/channels/1795390448.0/play/pb-e0a700a8",
        {"media": "sound:hello-world", "lang": "en"},
    ),
    (
        "play a media list",
        lambda c: c.play(
            "1795390554.25",
            ["sound:queue-thankyou", "sound:queue-youarenext"],
            playback_id="ann-1795390554.25",
        ),
        "POST",
        "/ari/channels/1795390554.25/play/ann-1795390554.25",
        {"media": "sound:queue-thankyou,sound:queue-youarenext"},
    ),
    (
        "set_variable",
        lambda c: c.set_variable("1795390543.22", "ACD_RESULT", "overflow"),
        "POST",
        "/ari/channels/1795390543.22/variable",
        {"variable": "ACD_RESULT", "value": "overflow"},
    ),
    (
        "continue_in_dialplan",
        lambda c: c.continue_in_dialplan("1795390543.22", "agents", "congestion", 1),
        "POST",
        "/ari/channels/1795390543.22/continue",
        {"context": "agents", "extension": "congestion", "priority": "1"},
    ),
    (
        "snoop",
        lambda c: c.snoop("1795390570.31", snoop_id="snoop-295c2f", app_args=["supervisor"]),
        "POST",
        "/ari/channels/1795390570.31/snoop/snoop-295c2f",
        {"spy": "both", "whisper": "none", "app": "acd", "appArgs": "supervisor"},
    ),
    (
        "create holding bridge",
        lambda c: c.create_bridge("hold-fb1558a5", "holding", "queue-1702"),
        "POST",
        "/ari/bridges/hold-fb1558a5",
        {"type": "holding", "name": "queue-1702"},
    ),
    (
        "add_channel with role",
        lambda c: c.add_channel("hold-fb1558a5", "1795390527.15", role="participant"),
        "POST",
        "/ari/bridges/hold-fb1558a5/addChannel",
        {"channel": "1795390527.15", "role": "participant"},
    ),
    (
        "remove_channel",
        lambda c: c.remove_channel("br-d5c6312c", ["ag-503b7882"]),
        "POST",
        "/ari/bridges/br-d5c6312c/removeChannel",
        {"channel": "ag-503b7882"},
    ),
    (
        "start_bridge_moh",
        lambda c: c.start_bridge_moh("queue-40abfd4b", "default"),
        "POST",
        "/ari/bridges/queue-40abfd4b/moh",
        {"mohClass": "default"},
    ),
    (
        "stop_bridge_moh",
        lambda c: c.stop_bridge_moh("hold-fb1558a5"),
        "DELETE",
        "/ari/bridges/hold-fb1558a5/moh",
        {},
    ),
    (
        "play_bridge",
        lambda c: c.play_bridge(
            "queue-ddf5e528", "sound:queue-periodic-announce", "periodic-73db45"
        ),
        "POST",
        "/ari/bridges/queue-ddf5e528/play/periodic-73db45",
        {"media": "sound:queue-periodic-announce"},
    ),
    (
        "record_bridge",
        lambda c: c.record_bridge(
            "br-a882d60f",
            "acd-rec-8a2c2d",
            max_duration_s=30,
            if_exists="overwrite",
            beep=False,
            terminate_on="none",
        ),
        "POST",
        "/ari/bridges/br-a882d60f/record",
        {
            "name": "acd-rec-8a2c2d",
            "format": "wav",
            "maxDurationSeconds": "30",
            "ifExists": "overwrite",
            "beep": "false",
            "terminateOn": "none",
        },
    ),
    (
        "get_bridge",
        lambda c: c.get_bridge("queue-174c75f6"),
        "GET",
        "/ari/bridges/queue-174c75f6",
        {},
    ),
    ("list_bridges", lambda c: c.list_bridges(), "GET", "/ari/bridges", {}),
    (
        "destroy_bridge",
        lambda c: c.destroy_bridge("br-8f2c3ca9"),
        "DELETE",
        "/ari/bridges/br-8f2c3ca9",
        {},
    ),
    (
        "stop_recording",
        lambda c: c.stop_recording("acd-rec-8a2c2d"),
        "POST",
        "/ari/recordings/live/acd-rec-8a2c2d/stop",
        {},
    ),
    (
        "get_live_recording",
        lambda c: c.get_live_recording("acd-rec-8a2c2d"),
        "GET",
        "/ari/recordings/live/acd-rec-8a2c2d",
        {},
    ),
    (
        "list_stored_recordings",
        lambda c: c.list_stored_recordings(),
        "GET",
        "/ari/recordings/stored",
        {},
    ),
    (
        "get_stored_recording",
        lambda c: c.get_stored_recording("acd-rec-8a2c2d"),
        "GET",
        "/ari/recordings/stored/acd-rec-8a2c2d",
        {},
    ),
    (
        "delete_stored_recording",
        lambda c: c.delete_stored_recording("acd-rec-8a2c2d"),
        "DELETE",
        "/ari/recordings/stored/acd-rec-8a2c2d",
        {},
    ),
    (
        "subscribe",
        lambda c: c.subscribe("acd", "endpoint:PJSIP/agent1"),
        "POST",
        "/ari/applications/acd/subscription",
        {"eventSource": "endpoint:PJSIP/agent1"},
    ),
    (
        "unsubscribe",
        lambda c: c.unsubscribe("acd", ["endpoint:PJSIP/agent1"]),
        "DELETE",
        "/ari/applications/acd/subscription",
        {"eventSource": "endpoint:PJSIP/agent1"},
    ),
    ("get_application", lambda c: c.get_application("acd"), "GET", "/ari/applications/acd", {}),
    ("list_endpoints", lambda c: c.list_endpoints(), "GET", "/ari/endpoints", {}),
    (
        "get_endpoint",
        lambda c: c.get_endpoint("PJSIP", "agent1"),
        "GET",
        "/ari/endpoints/PJSIP/agent1",
        {},
    ),
    ("list_channels", lambda c: c.list_channels(), "GET", "/ari/channels", {}),
    (
        "get_channel",
        lambda c: c.get_channel("1795436105.15089"),
        "GET",
        "/ari/channels/1795436105.15089",
        {},
    ),
    (
        "get_variable",
        lambda c: c.get_variable("1795390543.22", "ACD_RESULT"),
        "GET",
        "/ari/channels/1795390543.22/variable",
        {"variable": "ACD_RESULT"},
    ),
    ("ping", lambda c: c.ping(), "GET", "/ari/asterisk/ping", {}),
    ("info", lambda c: c.info(), "GET", "/ari/asterisk/info", {}),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "query"),
    [pytest.param(*case[1:], id=case[0]) for case in REPLAY],
)
async def test_request_matches_the_trace_and_the_answer_parses(
    fake: FakeAriServer,
    client: AriClient,
    call: Call,
    method: str,
    path: str,
    query: dict[str, str],
) -> None:
    await call(client)
    assert fake.seen[-1] == Seen(method, path, query)
    assert _key(method, path, query) in fake.recorded


async def test_originate_returns_the_new_channel_down(client: AriClient) -> None:
    channel = await client.originate(
        "PJSIP/agent1",
        channel_id="ag-41843068",
        app_args=["agent", "agent1", "1795390452.1"],
        caller_id="ACD <1701>",
        timeout_s=20,
        originator="1795390452.1",
    )
    assert channel == Channel(
        id="ag-41843068",
        name=channel.name,
        state="Down",
        caller_number="1701",
        caller_name="ACD",
        exten="s",
        context="from-agent",
        app_name="AppDial2",
        app_data="(Outgoing Line)",
        created_at=datetime(2026, 11, 22, 23, 34, 12, 45000, tzinfo=UTC),
    )
    assert channel.name.startswith("PJSIP/agent1-")


async def test_originate_sends_variables_in_a_json_body(
    fake: FakeAriServer, client: AriClient
) -> None:
    fake.answer("POST", "/ari/channels", 200, {"id": "x1", "name": "PJSIP/a-1", "state": "Down"})
    await client.originate(
        "PJSIP/agent1", app="other", variables={"CALLERID(num)": "1700", "ACD_LINE": "1700"}
    )
    assert fake.seen[-1] == Seen(
        "POST",
        "/ari/channels",
        {"endpoint": "PJSIP/agent1", "app": "other"},
        {"variables": {"CALLERID(num)": "1700", "ACD_LINE": "1700"}},
    )


async def test_an_id_is_one_quoted_path_segment(fake: FakeAriServer, client: AriClient) -> None:
    fake.answer("DELETE", "/ari/channels/fail-local-busy-dc52d3;2", 204)
    fake.answer("DELETE", "/ari/channels/odd/id", 500, {"error": "must not be reached"})
    await client.hangup("fail-local-busy-dc52d3;2")
    assert fake.seen[-1].path == "/ari/channels/fail-local-busy-dc52d3;2"
    fake.answer("GET", "/ari/channels/odd/id", 200, {"id": "odd/id", "name": "", "state": "Up"})
    assert (await client.get_channel("odd/id")).id == "odd/id"


async def test_typed_results(client: AriClient) -> None:
    bridge = await client.create_bridge("br-8f2c3ca9", "mixing", "acd-1701")
    assert bridge == Bridge(
        id="br-8f2c3ca9",
        bridge_type="mixing",
        channels=(),
        created_at=datetime(2026, 11, 22, 23, 34, 12, 44000, tzinfo=UTC),
    )
    queue = await client.get_bridge("queue-174c75f6")
    assert queue.channels == ("1795436105.15089",)
    playback = await client.play("1795390448.0", "sound:hello-world", "pb-e0a700a8", lang="en")
    assert playback == Playback(
        id="pb-e0a700a8",
        target_uri="channel:1795390448.0",
        media_uri="sound:hello-world",
        state="queued",
    )
    endpoint = await client.get_endpoint("PJSIP", "agent1")
    assert endpoint == Endpoint("PJSIP", "agent1", "online", ())
    assert endpoint.name == "PJSIP/agent1"
    recording = await client.record_bridge(
        "br-a882d60f",
        "acd-rec-8a2c2d",
        max_duration_s=30,
        if_exists="overwrite",
        beep=False,
        terminate_on="none",
    )
    assert recording == LiveRecording("acd-rec-8a2c2d", "wav", "queued", "bridge:br-a882d60f")
    assert await client.list_stored_recordings() == [StoredRecording("acd-rec-8a2c2d", "wav")]
    assert await client.get_variable("1795390543.22", "ACD_RESULT") == "overflow"
    app = await client.get_application("acd")
    assert set(app) >= {"channel_ids", "bridge_ids", "endpoint_ids"}


async def test_app_args_are_checked_before_anything_is_sent(
    fake: FakeAriServer, client: AriClient
) -> None:
    # ARI splits appArgs on commas: "a,b" would silently arrive as two arguments.
    with pytest.raises(ValueError, match="comma"):
        await client.originate("PJSIP/agent1", app_args=["a,b"])
    with pytest.raises(TypeError):
        await client.originate("PJSIP/agent1", app_args="agent")
    assert fake.seen == []


async def test_a_session_passed_in_is_used_and_left_open(fake: FakeAriServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with AriClient(fake.url, "asterisk", "asterisk", "acd", session=session) as ari:
            assert (await ari.ping())["ping"] == "pong"
        assert not session.closed
