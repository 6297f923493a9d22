"""ARI REST over the events WebSocket (``ari.rest_over: websocket``).

Against the emulator (which answers ``RESTRequest`` messages as the real Asterisk does,
rest_over_ws.jsonl): the same answers and the *same errors* as over HTTP, requests made from
the resynchronisation hook, and pending requests failing when the socket drops.  Against a
socket that answers when the test says so: timeouts, late and out-of-order answers.  All
waiting is on the virtual-time loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from acd.ari.client import AriClient
from acd.ari.events import AriEvent, StasisStart
from acd.ari.stream import EventStream
from acd.ari.ws_rest import WsRestTransport
from emulator import Emulator, reference_config, run_emulator
from foundation.errors import AriError, AriNotFound, AriUnavailable


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with run_emulator(config=reference_config()) as emulator:
        yield emulator


_STARTED: dict[int, asyncio.Queue[str]] = {}


async def _over_ws(emu: Emulator) -> tuple[AriClient, EventStream, WsRestTransport]:
    rest = WsRestTransport(timeout_s=5)
    ari = AriClient(emu.url, emu.username, emu.password, "acd", rest=rest)
    started: asyncio.Queue[str] = asyncio.Queue()

    def on_event(event: AriEvent) -> None:
        if isinstance(event, StasisStart):
            started.put_nowait(event.channel.id)

    stream = EventStream(emu.url, emu.username, emu.password, "acd", on_event=on_event, rest=rest)
    _STARTED[id(stream)] = started
    stream.start()
    await stream.wait_connected(5)
    return ari, stream, rest


async def _call_in_stasis(emu: Emulator, stream: EventStream) -> str:
    caller = emu.pbx.place_call("1700", caller_number="caller")
    async with asyncio.timeout(5):
        assert await _STARTED[id(stream)].get() == caller
    return caller


Call = Callable[[AriClient], Awaitable[Any]]

# Requests that fail, each the way a real Asterisk refuses it (rest_over_ws.jsonl, info.jsonl,
# event_filter.jsonl): over the WebSocket they must raise what they raise over HTTP.
REFUSED: dict[str, Call] = {
    "unknown channel": lambda ari: ari.get_channel("nosuch"),
    "answer a channel that is gone": lambda ari: ari.answer("nosuch"),
    "bridge into an unknown bridge": lambda ari: ari.add_channel("nobridge", ["nosuch"]),
    "dial an endpoint that cannot be": lambda ari: ari.originate("FOO/bar", app="acd"),
    "a parameter missing": lambda ari: ari.create_channel("", app="acd"),
}


async def _error_of(call: Call, ari: AriClient) -> AriError | None:
    try:
        await call(ari)
    except AriError as exc:
        return exc
    return None


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_refusal_raises_the_same_error_as_over_http(emu: Emulator, case: str) -> None:
    ari_ws, stream, _ = await _over_ws(emu)
    try:
        over_ws = await _error_of(REFUSED[case], ari_ws)
    finally:
        await stream.stop()
    async with AriClient(emu.url, emu.username, emu.password, "acd") as ari_http:
        over_http = await _error_of(REFUSED[case], ari_http)
    assert over_http is not None, f"{case}: HTTP did not refuse it"
    assert over_ws is not None, f"{case}: the WebSocket did not refuse it"
    assert type(over_ws) is type(over_http)
    assert (over_ws.status, over_ws.message) == (over_http.status, over_http.message)
    assert (over_ws.method, over_ws.path) == (over_http.method, over_http.path)


async def test_a_call_is_answered_bridged_and_hung_up_over_the_socket(emu: Emulator) -> None:
    ari, stream, _ = await _over_ws(emu)
    try:
        caller = await _call_in_stasis(emu, stream)
        await ari.answer(caller)
        bridge = await ari.create_bridge("br-1", "mixing")
        assert bridge.id == "br-1"
        await ari.add_channel("br-1", [caller])
        assert [c.id for c in await ari.list_channels()] == [caller]
        assert (await ari.get_channel(caller)).state == "Up"
        await ari.hangup(caller)
        with pytest.raises(AriNotFound):
            await ari.get_channel(caller)
        logged = [(r.method, r.path) for r in emu.request_log]
        assert ("POST", f"/ari/channels/{caller}/answer") in logged
    finally:
        await stream.stop()


async def test_parameters_arrive_as_they_are_spaces_plus_and_commas_included(
    emu: Emulator,
) -> None:
    ari, stream, _ = await _over_ws(emu)
    try:
        caller = await _call_in_stasis(emu, stream)
        await ari.set_variable(caller, "NOTE", "one two+three,four")
        assert await ari.get_variable(caller, "NOTE") == "one two+three,four"
    finally:
        await stream.stop()


async def test_the_resynchronisation_hook_can_use_the_socket(emu: Emulator) -> None:
    seen: list[str] = []
    ari: AriClient | None = None

    async def resync(first: bool) -> None:
        assert ari is not None
        seen.append((await ari.ping())["ping"])

    rest = WsRestTransport(timeout_s=5)
    ari = AriClient(emu.url, emu.username, emu.password, "acd", rest=rest)
    stream = EventStream(
        emu.url, emu.username, emu.password, "acd", on_event=lambda e: None,
        on_connected=resync, rest=rest,
    )  # fmt: skip
    stream.start()
    try:
        await stream.wait_connected(5)
        assert seen == ["pong"]
    finally:
        await stream.stop()


async def test_without_a_connection_a_request_fails_at_once_as_unavailable() -> None:
    rest = WsRestTransport(timeout_s=5)
    ari = AriClient("http://127.0.0.1:1", "u", "p", "acd", rest=rest)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AriUnavailable, match="not connected") as caught:
        await ari.answer("c1")
    assert loop.time() == started
    assert (caught.value.method, caught.value.path) == ("POST", "/ari/channels/c1/answer")


async def test_a_dropped_socket_fails_the_pending_requests_and_a_reconnect_serves_again(
    emu: Emulator,
) -> None:
    ari, stream, rest = await _over_ws(emu)
    try:
        sent = _Gate(rest)  # the next request is sent but its answer held back
        pending = asyncio.create_task(ari.list_channels())
        await sent.wait()
        auth = {"Authorization": aiohttp.encode_basic_auth(emu.username, emu.password)}
        drop = f"{emu.url}/emulator/faults/drop-websockets"
        async with aiohttp.ClientSession() as http, http.post(drop, json={}, headers=auth) as r:
            assert r.status == 204
        with pytest.raises(AriUnavailable, match="lost"):
            await pending
        sent.release()
        await stream.wait_connected(60)  # the reader reconnects after its backoff
        assert await ari.list_channels() == []
    finally:
        await stream.stop()


# --- against a socket the test answers ----------------------------------------------------


class _Socket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.new = asyncio.Event()

    async def send_str(self, data: str) -> None:
        self.sent.append(json.loads(data))
        self.new.set()

    async def next(self) -> dict[str, Any]:
        while not self.sent:
            self.new.clear()
            await self.new.wait()
        return self.sent.pop(0)


def _answer(request: dict[str, Any], status: int, body: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "type": "RESTResponse",
        "request_id": request["request_id"],
        "status_code": status,
        "reason_phrase": "",
        "uri": request["uri"],
    }
    if body is not None:
        answer["message_body"] = json.dumps(body)
    return answer


async def test_the_request_envelope_is_the_one_asterisk_reads() -> None:
    rest, socket = WsRestTransport(), _Socket()
    rest.attach(socket)
    ari = AriClient("http://127.0.0.1:1", "u", "p", "acd", rest=rest)
    task = asyncio.create_task(ari.set_event_filter("acd", disallowed=["Dial"]))
    request = await socket.next()
    assert request["type"] == "RESTRequest"
    assert request["method"] == "PUT"
    assert request["uri"] == "applications/acd/eventFilter"  # no leading slash: 405 with one
    assert request["content_type"] == "application/json"
    assert json.loads(request["message_body"]) == {"disallowed": [{"type": "Dial"}]}
    rest.deliver(_answer(request, 200, {"name": "acd"}))
    await task
    originate = asyncio.create_task(ari.hangup("a;2", reason="normal"))
    request = await socket.next()
    assert request["uri"] == "channels/a%3B2"  # an id is one path segment
    assert request["query_strings"] == [{"name": "reason", "value": "normal"}]
    rest.deliver(_answer(request, 204))
    await originate


async def test_a_timeout_is_unavailable_and_its_late_answer_goes_to_no_other_request() -> None:
    rest, socket = WsRestTransport(timeout_s=3), _Socket()
    rest.attach(socket)
    ari = AriClient("http://127.0.0.1:1", "u", "p", "acd", rest=rest)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(ari.get_channel("c1"))
    late = await socket.next()
    with pytest.raises(AriUnavailable, match="no answer within 3 s") as caught:
        await first
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert loop.time() - started == pytest.approx(3, abs=0.01)
    second = asyncio.create_task(ari.get_channel("c2"))
    current = await socket.next()
    assert current["request_id"] != late["request_id"]
    rest.deliver(_answer(late, 404, {"message": "Channel not found"}))  # c1's, too late
    assert not second.done()
    rest.deliver(_answer(current, 404, {"message": "Channel not found (c2)"}))
    with pytest.raises(AriNotFound, match=r"\(c2\)"):
        await second
    assert rest.late_answers == 1
    assert rest.pending == 0


async def test_answers_out_of_order_each_reach_their_own_request() -> None:
    rest, socket = WsRestTransport(), _Socket()
    rest.attach(socket)
    ari = AriClient("http://127.0.0.1:1", "u", "p", "acd", rest=rest)
    one = asyncio.create_task(ari.get_variable("c1", "X"))
    two = asyncio.create_task(ari.get_variable("c2", "X"))
    first, second = await socket.next(), await socket.next()
    rest.deliver(_answer(second, 200, {"value": "two"}))
    rest.deliver(_answer(first, 200, {"value": "one"}))
    assert (await one, await two) == ("one", "two")


async def test_an_answer_that_is_not_json_is_a_server_error_as_over_http() -> None:
    rest, socket = WsRestTransport(), _Socket()
    rest.attach(socket)
    ari = AriClient("http://127.0.0.1:1", "u", "p", "acd", rest=rest)
    task = asyncio.create_task(ari.ping())
    request = await socket.next()
    rest.deliver({**_answer(request, 200), "message_body": "<html>"})
    with pytest.raises(AriError, match="not JSON"):
        await task


# --- helpers -------------------------------------------------------------------------------


class _Gate:
    """Holds back the answers the transport receives until released (the socket stays)."""

    def __init__(self, rest: WsRestTransport) -> None:
        self._rest = rest
        self._deliver = rest.deliver
        self._sent = asyncio.Event()
        self._held: list[Any] = []
        rest.deliver = self._hold  # type: ignore[method-assign]

    def _hold(self, message: Any) -> None:
        self._held.append(message)
        self._sent.set()

    async def wait(self) -> None:
        await self._sent.wait()

    def release(self) -> None:
        self._rest.deliver = self._deliver  # type: ignore[method-assign]


async def test_a_malformed_answer_fails_its_request_as_unavailable() -> None:
    rest, socket = WsRestTransport(), _Socket()
    rest.attach(socket)
    ari = AriClient("http://127.0.0.1:1", "u", "p", "acd", rest=rest)
    task = asyncio.create_task(ari.answer("c1"))
    request = await socket.next()
    rest.deliver({"type": "RESTResponse", "request_id": request["request_id"]})  # no status
    with pytest.raises(AriUnavailable, match="malformed RESTResponse"):
        await task
