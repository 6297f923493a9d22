"""The event filter: the client's request as in event_filter.jsonl, the engine's filter set
before every resynchronisation and survived when refused, and its list of event types kept
in step with what the runtime dispatches."""

from __future__ import annotations

import ast
import asyncio
import inspect
import logging
import random
import textwrap
from typing import Any

import pytest

from acd.ari import events as ev
from acd.ari.client import AriClient
from acd.ari.event_filter import EventFilter
from acd.ari.stream import EventStream
from acd.engine.runtime import ENGINE_EVENTS, EngineRuntime
from foundation.errors import AriBadRequest
from tests.ari.fake_server import FakeAriServer
from tests.traces import read_trace as load_trace
from tests.traces import trace_names as all_trace_names

PATH = "/ari/applications/acd/eventFilter"
ENGINE_TYPES = ev.type_names(ENGINE_EVENTS)


def _recorded_bodies() -> list[dict[str, Any] | None]:
    return [
        r.get("body")
        for r in load_trace("event_filter.jsonl")
        if r["dir"] == "request"
        and r["path"] == PATH
        and r.get("body") != {"allowed": "not-a-list"}
    ]


def _lists(body: dict[str, Any] | None) -> dict[str, list[str]]:
    return {key: [item["type"] for item in items] for key, items in (body or {}).items()}


@pytest.mark.parametrize("body", _recorded_bodies())
async def test_the_request_body_is_the_recorded_one(
    fake: FakeAriServer, client: AriClient, body: dict[str, Any] | None
) -> None:
    await client.set_event_filter("acd", **_lists(body))
    assert (fake.seen[-1].method, fake.seen[-1].path) == ("PUT", PATH)
    assert fake.seen[-1].body == body


async def test_the_answer_is_the_application_with_its_filter(client: AriClient) -> None:
    app = await client.set_event_filter(
        "acd", disallowed=["ChannelVarset", "ChannelDialplan", "ChannelConnectedLine"]
    )
    assert app["name"] == "acd"
    assert {"type": "ChannelVarset"} in app["events_disallowed"]


async def test_a_malformed_filter_is_a_bad_request(fake: FakeAriServer, client: AriClient) -> None:
    recorded = next(
        r for r in load_trace("event_filter.jsonl") if r["dir"] == "response" and r["status"] == 400
    )
    fake.answer("PUT", PATH, 400, recorded["body"])
    with pytest.raises(AriBadRequest, match="Invalid format definition"):
        await client.set_event_filter("acd", allowed=["StasisStart"])


async def test_one_string_is_refused_before_anything_is_sent(
    fake: FakeAriServer, client: AriClient
) -> None:
    with pytest.raises(TypeError, match="list of event types"):
        await client.set_event_filter("acd", allowed="StasisStart")
    assert fake.seen == []


async def test_the_engine_filter_allows_its_types_and_clears_disallowed_ones(
    fake: FakeAriServer, client: AriClient
) -> None:
    event_filter = EventFilter(client, "acd", ENGINE_TYPES)
    assert await event_filter.apply()
    assert event_filter.active
    assert fake.seen[-1].body == {
        "allowed": [{"type": kind} for kind in ENGINE_TYPES],
        "disallowed": [],
    }


async def test_switched_off_it_clears_the_filter_an_earlier_engine_left(
    fake: FakeAriServer, client: AriClient
) -> None:
    await EventFilter(client, "acd", ENGINE_TYPES).apply()
    event_filter = EventFilter(client, "acd", ENGINE_TYPES, enabled=False)
    assert await event_filter.apply()
    assert not event_filter.active
    assert fake.seen[-1].body == {"allowed": [], "disallowed": []}
    app = await client.get_application("acd")
    assert (app["events_allowed"], app["events_disallowed"]) == ([], [])


@pytest.mark.parametrize("status", [400, 404, 405, 501])
async def test_a_refusal_is_logged_once_and_survived(
    fake: FakeAriServer, client: AriClient, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    fake.answer("PUT", PATH, status, {"message": "no such resource"})
    event_filter = EventFilter(client, "acd", ENGINE_TYPES)
    with caplog.at_level(logging.DEBUG, logger="acd.ari.event_filter"):
        assert not await event_filter.apply()
        assert not await event_filter.apply()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "receiving every event type" in warnings[0].getMessage()
    assert not event_filter.active
    assert sum(seen.path == PATH for seen in fake.seen) == 2  # asked at each connection


async def test_another_failure_is_logged_and_survived(
    fake: FakeAriServer, client: AriClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.answer("PUT", PATH, 500, {"message": "Internal Server Error"})
    with caplog.at_level(logging.WARNING, logger="acd.ari.event_filter"):
        assert not await EventFilter(client, "acd", ENGINE_TYPES).apply()
    assert "event filter not set" in caplog.records[-1].getMessage()


async def test_the_filter_is_set_before_each_resynchronisation(
    fake: FakeAriServer, client: AriClient
) -> None:
    paths_at_resync: list[list[str]] = []
    resynced: asyncio.Queue[bool] = asyncio.Queue()

    async def resync(first: bool) -> None:
        paths_at_resync.append([seen.path for seen in fake.seen])
        resynced.put_nowait(first)

    event_filter = EventFilter(client, "acd", ENGINE_TYPES)
    stream = EventStream(
        fake.url,
        "asterisk",
        "asterisk",
        "acd",
        on_event=lambda _event: None,
        on_connected=event_filter.before(resync),
        rng=random.Random(7),
    )
    async with stream:
        (await fake.next_connection()).abort()
        await fake.next_connection()
        async with asyncio.timeout(300):
            assert [await resynced.get(), await resynced.get()] == [True, False]
    assert paths_at_resync == [[PATH], [PATH, PATH]]


def test_the_engine_asks_for_every_event_type_the_runtime_dispatches() -> None:
    source = textwrap.dedent(inspect.getsource(EngineRuntime._translate))
    dispatched = {
        node.cls.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Attribute)
    }
    assert dispatched, "the runtime's dispatch was not found: update this test"
    # Made by the decoder itself, never sent by Asterisk.
    dispatched -= {"MalformedEvent", "UnknownEvent"}
    assert dispatched <= set(ENGINE_TYPES)


def test_the_engine_asks_for_what_the_stream_acts_on() -> None:
    assert "ApplicationReplaced" in ENGINE_TYPES


def test_the_engine_leaves_out_the_noisy_types() -> None:
    noisy = {"ChannelVarset", "ChannelDialplan", "ChannelConnectedLine", "DeviceStateChanged"}
    assert not noisy & set(ENGINE_TYPES)


def test_only_types_the_decoder_produces_can_be_asked_for() -> None:
    with pytest.raises(ValueError, match="PlaybackEvent"):
        ev.type_names([ev.PlaybackStarted, ev.PlaybackEvent])
    with pytest.raises(ValueError, match="empty"):
        EventFilter(AriClient("http://127.0.0.1:1", "a", "b", "acd"), "acd", ())


@pytest.mark.parametrize("kind", [cls.__name__ for cls in ENGINE_EVENTS])
def test_each_asked_type_is_decoded_as_its_class(kind: str) -> None:
    recorded = [
        r["event"]
        for name in all_trace_names()
        for r in load_trace(name)
        if r["dir"] == "event" and r["event"]["type"] == kind
    ]
    assert recorded, f"no recorded {kind} event"
    assert type(ev.parse_event(recorded[0])).__name__ == kind
