"""Desk requests between two nodes on the machine's Redis (acd.state.desk_link): the holder
of an agent's call found from the reservation, a request answered by its holder, a holder
whose lease ran out refused at once, a request past its deadline not acted on."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from acd.state import RedisStateStore
from acd.state.desk_link import DeskLink, DeskReply, DeskRequest, Forwarded, HolderUnavailable
from foundation.clock import hold_clock
from tests.state.conftest import REDIS_URL, drop_prefix, unique_prefix

T0 = 1_800_000_000.0
JSON = (("Content-Type", "application/json"),)


class Wall:
    """The nodes' wall clock, set by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    chosen = unique_prefix()
    yield chosen
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    await drop_prefix(client, RedisStateStore(client, chosen).keys.pattern())
    await client.aclose()


def _store(prefix: str) -> RedisStateStore:
    return RedisStateStore(
        Redis.from_url(REDIS_URL, decode_responses=True), prefix, hold=hold_clock
    )


def _link(node: str, prefix: str, wall: Wall, timeout_s: float = 2.0) -> DeskLink:
    return DeskLink.from_url(
        REDIS_URL, node, prefix, now=wall, lease_ttl_s=15.0, timeout_s=timeout_s, hold=hold_clock
    )


def _request(body: bytes = b'{"note": "x"}') -> DeskRequest:
    identity = {"name": "an", "via": "session", "role": "agent", "agent_id": "1001"}
    return DeskRequest("POST", "/api/agents/1001/contact/close?x=%C3%A9", JSON, body, identity)


async def test_the_holder_answers_a_request_for_the_call_it_holds(prefix):
    wall = Wall()
    store = _store(prefix)
    a, b = _link("node-a", prefix, wall), _link("node-b", prefix, wall)
    seen: list[tuple[DeskRequest, str]] = []

    async def handle(request: DeskRequest, from_node: str) -> DeskReply:
        seen.append((request, from_node))
        return DeskReply(409, (("Content-Type", "application/json"),), b'{"error": "no"}')

    try:
        await store.renew("node-a", T0, 1)
        assert await b.holder("1001") is None
        assert await store.reserve("1001", "c-1", "node-a")
        assert await b.holder("1001") == "node-a"
        await a.start(handle)
        reply = await b.send("node-a", _request())
        assert reply == DeskReply(409, JSON, b'{"error": "no"}')
        [(request, from_node)] = seen
        assert (request, from_node) == (_request(), "node-b")
        assert (a.answered, b.forwarded) == (1, 1)
    finally:
        for link in (a, b):
            await link.close()
        await store.client.aclose()


async def test_a_holder_whose_lease_ran_out_or_left_is_refused_at_once(prefix):
    wall = Wall()
    store = _store(prefix)
    b = _link("node-b", prefix, wall)
    try:
        await store.renew("node-a", T0, 1)
        wall.now = T0 + 20.0  # not renewed for 20 s: its lease (15 s) ran out, not yet reaped
        with pytest.raises(HolderUnavailable, match=r"lease expired \(last renewed 20.0 s ago\)"):
            await b.send("node-a", _request())
        with pytest.raises(HolderUnavailable, match="not a member"):
            await b.send("node-gone", _request())
        # Nothing was queued for either.
        with hold_clock():
            for node in ("node-a", "node-gone"):
                assert await store.client.llen(b.keys.desk_requests(node)) == 0
    finally:
        await b.close()
        await store.client.aclose()


async def test_a_silent_holder_is_unavailable_and_does_not_act_on_the_request_later(prefix, caplog):
    wall = Wall()
    store = _store(prefix)
    a, b = _link("node-a", prefix, wall), _link("node-b", prefix, wall, timeout_s=0.1)
    acted: list[DeskRequest] = []
    late = _Logged("after its deadline")
    logging.getLogger("acd.state.desk_link").addHandler(late)

    async def handle(request: DeskRequest, from_node: str) -> DeskReply:
        acted.append(request)
        return DeskReply(200, JSON, b"{}")

    try:
        await store.renew("node-a", T0, 1)
        wall.now = T0 + 3.0
        with pytest.raises(HolderUnavailable, match=r"did not answer within 0.1 s"):
            await b.send("node-a", _request())
        wall.now = T0 + 4.0  # node-a reads its list again, a second later
        await a.start(handle)
        # Real time for node-a to read its list (a thread's wait holds the virtual clock).
        assert await asyncio.to_thread(late.seen.wait, 5.0)
        assert acted == []
        assert a.answered == 0
        assert "POST /api/agents/1001/contact/close from node node-b came 0.9 s" in caplog.text
    finally:
        logging.getLogger("acd.state.desk_link").removeHandler(late)
        for link in (a, b):
            await link.close()
        await store.client.aclose()


class _Logged(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


def test_a_request_crosses_the_wire_unchanged():
    body = bytes(range(256))  # any bytes, not only text
    sent = Forwarded("r1", "node-b", T0 + 2.0, _request(body))
    assert Forwarded.decode(sent.encode()) == sent
