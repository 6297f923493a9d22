"""EventStream against the loopback fake: delivery, resync hook, reconnects, takeover, stop.

All waiting is on the virtual-time loop: backoffs of seconds pass in microseconds, and the
assertions are on ``loop.time()``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from acd.ari.events import (
    ApplicationReplaced,
    AriEvent,
    MalformedEvent,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from acd.ari.stream import Backoff, EventStream
from tests.ari.fake_server import FakeAriServer, WsConn
from tests.traces import read_trace


def stasis_start(channel_id: str = "1795390448.0") -> dict[str, Any]:
    return {
        "type": "StasisStart",
        "timestamp": "2026-11-22T23:34:08.000+0000",
        "args": ["inbound", "1700"],
        "channel": {
            "id": channel_id,
            "name": "PJSIP/caller-00000000",
            "state": "Ring",
            "caller": {"name": "Caller 1", "number": "caller"},
            "dialplan": {
                "context": "from-caller",
                "exten": "1700",
                "priority": 2,
                "app_name": "Stasis",
                "app_data": "acd,inbound,1700",
            },
        },
        "asterisk_id": "02:fc:00:00:00:01",
        "application": "acd",
    }


class Engine:
    """Stands in for the engine: records hook calls and events in one ordered log."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any, float]] = []
        self.events: asyncio.Queue[AriEvent] = asyncio.Queue()
        self.connected_calls: asyncio.Queue[bool] = asyncio.Queue()
        self.resync_s = 0.0
        self.fail_resyncs = 0
        self.raise_on: Callable[[AriEvent], bool] = lambda _e: False

    def on_event(self, event: AriEvent) -> None:
        self.log.append(("event", event.type, asyncio.get_running_loop().time()))
        self.events.put_nowait(event)
        if self.raise_on(event):
            raise RuntimeError("engine bug")

    async def on_connected(self, first: bool) -> None:
        loop = asyncio.get_running_loop()
        self.log.append(("connected", first, loop.time()))
        self.connected_calls.put_nowait(first)
        await asyncio.sleep(self.resync_s)  # a resync doing REST calls takes time
        if self.fail_resyncs:
            self.fail_resyncs -= 1
            raise RuntimeError("resync failed")

    async def next_event(self) -> AriEvent:
        async with asyncio.timeout(300):
            return await self.events.get()


@pytest.fixture
def engine() -> Engine:
    return Engine()


@pytest.fixture
async def streams(fake: FakeAriServer, engine: Engine) -> AsyncIterator[Callable[..., EventStream]]:
    made: list[EventStream] = []

    def make(**options: Any) -> EventStream:
        options.setdefault("rng", random.Random(7))
        stream = EventStream(
            fake.url,
            "asterisk",
            "asterisk",
            "acd",
            on_event=engine.on_event,
            on_connected=engine.on_connected,
            **options,
        )
        made.append(stream)
        stream.start()
        return stream

    yield make
    for stream in made:
        await stream.stop()


def now() -> float:
    return asyncio.get_running_loop().time()


async def test_events_are_parsed_and_delivered_in_trace_order(
    fake: FakeAriServer, engine: Engine, streams: Callable[..., EventStream]
) -> None:
    stream = streams()
    conn = await fake.next_connection()
    await stream.wait_connected()
    recorded = [r["event"] for r in read_trace("playback.jsonl") if r["dir"] == "event"]
    modelled = [
        e["type"] for e in recorded if not isinstance(parse_event(e), UnknownEvent | MalformedEvent)
    ]
    for event in recorded:
        await conn.send(event)
    delivered = [(await engine.next_event()).type for _ in modelled]
    assert delivered == modelled
    assert delivered[0] == "StasisStart"
    assert stream.events_received == len(recorded)
    assert stream.stats.events_unknown == len(recorded) - len(modelled)


async def test_on_connected_completes_before_the_connections_events(
    fake: FakeAriServer, engine: Engine, streams: Callable[..., EventStream]
) -> None:
    engine.resync_s = 5.0
    stream = streams()
    conn = await fake.next_connection()
    await conn.send(stasis_start("a"))  # arrives while the resync is still running
    assert (await engine.next_event()).type == "StasisStart"
    assert [entry[:2] for entry in engine.log] == [("connected", True), ("event", "StasisStart")]
    assert engine.log[1][2] - engine.log[0][2] == pytest.approx(5.0)
    assert stream.connected

    await conn.close()
    conn2 = await fake.next_connection()
    await conn2.send(stasis_start("b"))
    await engine.next_event()
    assert [entry[:2] for entry in engine.log[2:]] == [
        ("connected", False),
        ("event", "StasisStart"),
    ]
    assert stream.reconnects == 1


async def test_the_socket_is_drained_while_on_connected_runs(
    fake: FakeAriServer, engine: Engine, streams: Callable[..., EventStream]
) -> None:
    # Asterisk drops a client it cannot write to (websocket_write_timeout): a long resync
    # must not stop us reading.  12 MB is more than the loopback socket buffers hold.
    engine.resync_s = 30.0
    stream = streams()
    conn = await fake.next_connection()
    padding = "x" * 4000
    sent_at = now()
    async with asyncio.timeout(5):
        for n in range(3000):
            await conn.send(
                {
                    "type": "ChannelVarset",
                    "application": "acd",
                    "timestamp": "t",
                    "variable": f"V{n}",
                    "value": padding,
                }
            )
    assert now() - sent_at < 5
    assert not stream.connected  # still resynchronising; nothing delivered yet
    assert engine.events.empty()
    await stream.wait_connected()
    values = [(await engine.next_event()).raw["variable"] for _ in range(3000)]
    assert values == [f"V{n}" for n in range(3000)]


@pytest.mark.parametrize("drop", ["close", "abort"])
async def test_reconnects_after_the_server_drops_the_socket(
    fake: FakeAriServer, engine: Engine, streams: Callable[..., EventStream], drop: str
) -> None:
    stream = streams(backoff=Backoff(min_s=0.5, max_s=30.0, jitter=0.25))
    conn = await fake.next_connection()
    await stream.wait_connected()
    dropped_at = now()
    if drop == "close":
        await conn.close()
    else:
        conn.abort()
    conn2 = await fake.next_connection()
    assert 0.5 <= conn2.opened_at - dropped_at <= 0.625
    await stream.wait_connected()
    assert [await engine.connected_calls.get() for _ in range(2)] == [True, False]
    assert stream.reconnects == 1

    await conn2.send(stasis_start())
    assert isinstance(await engine.next_event(), StasisStart)


async def test_backoff_grows_while_asterisk_is_down_and_resets_after_a_healthy_connection(
    fake: FakeAriServer, streams: Callable[..., EventStream]
) -> None:
    fake.ws_refusals = 6
    stream = streams(backoff=Backoff(min_s=0.5, max_s=4.0, jitter=0.25), healthy_after_s=10)
    conn = await fake.next_connection()
    gaps = [b - a for a, b in zip(fake.ws_attempts, fake.ws_attempts[1:], strict=False)]
    bounds = [(0.5, 0.625), (1, 1.25), (2, 2.5), (4, 4), (4, 4), (4, 4)]
    assert len(gaps) == len(bounds)
    for gap, (low, high) in zip(gaps, bounds, strict=True):
        assert low - 1e-6 <= gap <= high + 1e-6

    await asyncio.sleep(20)  # a healthy connection resets the backoff
    assert stream.connected
    dropped_at = now()
    conn.abort()
    conn2 = await fake.next_connection()
    assert 0.5 <= conn2.opened_at - dropped_at <= 0.625


async def test_a_connection_that_dies_at_once_does_not_reset_the_backoff(
    fake: FakeAriServer, streams: Callable[..., EventStream]
) -> None:
    streams(backoff=Backoff(min_s=0.5, max_s=30.0, jitter=0.0), healthy_after_s=10)
    conn = await fake.next_connection()
    gaps = []
    for _ in range(3):
        dropped_at = now()
        conn.abort()
        conn = await fake.next_connection()
        gaps.append(conn.opened_at - dropped_at)
    assert gaps == pytest.approx([0.5, 1.0, 2.0], abs=1e-3)


async def test_unknown_and_malformed_messages_are_logged_and_survived(
    fake: FakeAriServer,
    engine: Engine,
    streams: Callable[..., EventStream],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="acd.ari.stream")
    stream = streams()
    conn = await fake.next_connection()
    await stream.wait_connected()
    await conn.send("this is not JSON")
    await conn.send("[1, 2, 3]")
    await conn.send({"type": "StasisStart", "application": "acd", "timestamp": "t"})
    await conn.send({"type": "ChannelTalkingStarted", "application": "acd", "timestamp": "t"})
    await conn.ws.send_bytes(b"\x00\x01")
    await conn.send(stasis_start("ok"))
    event = await engine.next_event()
    assert isinstance(event, StasisStart)
    assert event.channel.id == "ok"
    assert engine.events.empty()
    assert stream.stats.events_received == 5
    assert stream.stats.events_malformed == 3
    assert stream.stats.events_unknown == 1
    assert stream.connected
    assert stream.reconnects == 0
    messages = [r.getMessage() for r in caplog.records]
    assert any("malformed StasisStart" in m and "KeyError" in m for m in messages)
    assert any("not a JSON object" in m for m in messages)
    assert any("ChannelTalkingStarted" in m for m in messages)


async def test_an_exception_in_on_event_is_logged_and_the_next_event_delivered(
    fake: FakeAriServer,
    engine: Engine,
    streams: Callable[..., EventStream],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine.raise_on = lambda e: isinstance(e, StasisStart) and e.channel.id == "bad"
    stream = streams()
    conn = await fake.next_connection()
    await conn.send(stasis_start("bad"))
    await conn.send(stasis_start("good"))
    ids = []
    for _ in range(2):
        event = await engine.next_event()
        assert isinstance(event, StasisStart)
        ids.append(event.channel.id)
    assert ids == ["bad", "good"]
    assert stream.stats.callback_errors == 1
    assert any("on_event failed" in r.getMessage() for r in caplog.records)
    assert stream.reconnects == 0


async def test_a_failed_resync_drops_the_connection_and_retries_as_first(
    fake: FakeAriServer, engine: Engine, streams: Callable[..., EventStream]
) -> None:
    engine.fail_resyncs = 1
    stream = streams(backoff=Backoff(jitter=0.0))
    first = await fake.next_connection()
    await first.closed.wait()  # we closed it because on_connected raised
    await fake.next_connection()
    await stream.wait_connected()
    assert [await engine.connected_calls.get() for _ in range(2)] == [True, True]


async def test_application_replaced_by_another_process_backs_off_long(
    fake: FakeAriServer,
    engine: Engine,
    streams: Callable[..., EventStream],
    caplog: pytest.LogCaptureFixture,
) -> None:
    stream = streams(replaced_backoff_s=60.0, backoff=Backoff(jitter=0.25))
    await fake.next_connection()
    await stream.wait_connected()

    async with aiohttp.ClientSession() as rival_session:
        rival = await rival_session.ws_connect(
            f"{fake.url}/ari/events?app=acd&api_key=asterisk:asterisk"
        )
        await fake.next_connection()  # the rival's
        replaced = await engine.next_event()
        replaced_at = now()
        assert isinstance(replaced, ApplicationReplaced)
        assert any(
            r.levelno == logging.ERROR
            and "'acd'" in r.getMessage()
            and "taken over" in r.getMessage()
            for r in caplog.records
        )
        await asyncio.sleep(30)
        assert not stream.connected
        attempts = len(fake.ws_attempts)
        assert attempts == 2  # ours and the rival's: no flapping

        ours_again = await fake.next_connection()
        assert 60 <= ours_again.opened_at - replaced_at <= 75
        # Coming back takes the app over from the rival, as Asterisk does.
        msg = await rival.receive(timeout=5)
        assert json.loads(msg.data)["type"] == "ApplicationReplaced"
        await rival.close()
    await stream.wait_connected()


async def test_application_replaced_from_a_superseded_connection_is_ignored(
    fake: FakeAriServer, engine: Engine, streams: Callable[..., EventStream]
) -> None:
    # Asterisk tells the *old* socket when a new one takes the app; if a message from a socket
    # our own reconnect superseded is ever handled, it must not be mistaken for a takeover.
    stream = streams()
    await fake.next_connection()
    await stream.wait_connected()
    message = json.dumps({"type": "ApplicationReplaced", "application": "acd", "timestamp": "t"})
    stale_generation = stream._generation - 1
    assert stream._handle_text(message, json.loads(message), stale_generation) is None
    assert engine.events.empty()
    assert stream.connected


async def test_the_heartbeat_notices_a_silent_peer(
    fake: FakeAriServer, streams: Callable[..., EventStream]
) -> None:
    fake.ws_autoping = False  # the peer never answers our pings: a half-open connection
    stream = streams(heartbeat_s=10.0, backoff=Backoff(jitter=0.0))
    conn = await fake.next_connection()
    await stream.wait_connected()
    conn2 = await fake.next_connection()
    # ping at 10 s, no pong within heartbeat/2, reconnect after the 0.5 s backoff
    assert conn2.opened_at - conn.opened_at == pytest.approx(15.5, abs=0.1)


async def test_wrong_credentials_are_logged_as_an_error_and_retried(
    fake: FakeAriServer, streams: Callable[..., EventStream], caplog: pytest.LogCaptureFixture
) -> None:
    fake.password = "changed"
    stream = streams(backoff=Backoff(jitter=0.0))
    with pytest.raises(TimeoutError):
        await stream.wait_connected(timeout_s=3.0)
    assert len(fake.ws_attempts) == 3  # at 0, 0.5 and 1.5 s
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors
    assert "401" in errors[0].getMessage()
    assert "api_key" not in errors[0].getMessage()  # the password stays out of the log


async def test_stop_closes_the_socket_and_ends_the_reader(
    fake: FakeAriServer, streams: Callable[..., EventStream]
) -> None:
    stream = streams()
    conn: WsConn = await fake.next_connection()
    await stream.wait_connected()
    await stream.stop()
    assert not stream.connected
    async with asyncio.timeout(5):
        await conn.closed.wait()
    await asyncio.sleep(120)
    assert len(fake.ws_attempts) == 1
    await stream.stop()  # twice is harmless


async def test_stop_during_a_backoff(
    fake: FakeAriServer, streams: Callable[..., EventStream]
) -> None:
    fake.ws_refusals = 1000
    stream = streams()
    await asyncio.sleep(10)
    attempts = len(fake.ws_attempts)
    started = now()
    await stream.stop()
    assert now() - started < 0.01
    await asyncio.sleep(120)
    assert len(fake.ws_attempts) == attempts


@pytest.mark.unit
@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.0, 0.5),
        (0, 0.999, 0.5 * 1.24975),
        (1, 0.0, 1.0),
        (3, 0.5, 4.5),
        (5, 0.0, 16.0),
        (5, 0.9, 20.0 - 0.4),
        (6, 0.0, 30.0),
        (6, 0.999, 30.0),
        (1000, 0.5, 30.0),
    ],
)
def test_backoff_delays(attempt: int, rand: float, expected: float) -> None:
    assert Backoff(min_s=0.5, max_s=30.0, jitter=0.25).delay(attempt, rand) == pytest.approx(
        expected
    )


async def test_a_quiet_connection_stays_up_for_an_hour(
    fake: FakeAriServer, streams: Callable[..., EventStream]
) -> None:
    # Heartbeats are answered, and no session or receive timeout ends an idle socket.
    stream = streams(heartbeat_s=10.0)
    await fake.next_connection()
    await stream.wait_connected()
    await asyncio.sleep(3600)
    assert stream.connected
    assert stream.reconnects == 0
    assert len(fake.ws_attempts) == 1


async def test_an_unexpected_error_in_the_reader_is_survived(
    fake: FakeAriServer,
    streams: Callable[..., EventStream],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stream = streams(backoff=Backoff(jitter=0.0))
    real_connect = stream._connect
    calls = 0

    async def buggy_once() -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("a bug")
        return await real_connect()

    monkeypatch.setattr(stream, "_connect", buggy_once)
    await stream.wait_connected()
    assert calls == 2
    assert any("unexpected error" in r.getMessage() for r in caplog.records)


async def test_a_failed_connect_never_logs_the_password(caplog: pytest.LogCaptureFixture):
    # aiohttp's TooManyRedirects quotes the URL it tried, api_key=user:password included.
    async def loop_back(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        raise aiohttp.web.HTTPFound(str(request.url))

    app = aiohttp.web.Application()
    app.router.add_get("/ari/events", loop_back)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    failed = asyncio.Event()

    class Noticing(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            failed.set()

    notice = Noticing(logging.WARNING)
    logging.getLogger("acd.ari.stream").addHandler(notice)
    stream = EventStream(url, "asterisk", "pw-s3cret/42", "acd", on_event=lambda event: None)
    try:
        with caplog.at_level(logging.WARNING, logger="acd.ari.stream"):
            stream.start()
            await asyncio.wait_for(failed.wait(), 30)
    finally:
        logging.getLogger("acd.ari.stream").removeHandler(notice)
        await stream.stop()
        await runner.cleanup()
    assert "TooManyRedirects" in caplog.text
    assert "s3cret" not in caplog.text
