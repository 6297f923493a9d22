"""Bad input found by trying the API as a new user would: each gets a 4xx in the JSON error
format, never a 500 or aiohttp's plain text.  The API is served the way the engine serves it
(acd.http_server's runner), on a real loopback socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from acd.api import AllowAll, create_api
from acd.engine.core import EngineCore
from acd.engine.runtime import EngineRuntime
from acd.http_server import JsonErrorRunner
from foundation.clock import Clock
from foundation.errors import ApiError
from foundation.json_body import DEFAULT_MAX_BODY, parse_json
from sla.metrics import EngineMetrics
from tests.engine.test_core import make_config
from tests.fakes import FakeAriClient


def strict_json(text: str) -> Any:
    """JSON as other languages read it: NaN and Infinity are not JSON."""

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in a response body is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
async def api() -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    clock = Clock()
    metrics = EngineMetrics()
    runtime = EngineRuntime(EngineCore(make_config()), FakeAriClient(), clock, [metrics], "acd")
    runtime.start()
    runner = JsonErrorRunner(create_api(runtime, clock, metrics, authenticator=AllowAll()))
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/api/agents/a1/login") as r:
            assert r.status == 200
        yield session, url
    await runtime.close()
    await runner.cleanup()


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with session.request(method, url, **kwargs) as r:
        assert r.content_type == "application/json"
        body = strict_json(await r.text())
        assert set(body) == {"status", "error", "message", "details"}
        assert body["status"] == r.status
        return r.status, body


async def presence(api: tuple[aiohttp.ClientSession, str], data: bytes) -> tuple[int, Any]:
    session, url = api
    return await call(
        session,
        "PUT",
        f"{url}/api/agents/a1/presence",
        data=data,
        headers={"Content-Type": "application/json"},
    )


async def test_a_body_that_is_not_utf8(api):
    status, body = await presence(api, b'\xff\xfe{"presence": "available"}')
    assert (status, body["error"]) == (400, "invalid_encoding")
    assert body["message"] == "request body is not UTF-8 (byte 0 is not valid)"


async def test_json_nested_100000_deep(api):
    # 200 KB: over the route's cap before its depth is looked at.
    status, body = await presence(api, b"[" * 100_000 + b"]" * 100_000)
    assert (status, body["error"]) == (413, "body_too_large")
    # Within the cap, still far deeper than Python's parser can recurse (was a 500).
    status, body = await presence(api, b"[" * 30_000 + b"]" * 30_000)
    assert (status, body["error"]) == (400, "invalid_json")
    assert body["message"] == "request body is nested 33 levels deep; at most 32 are accepted"


def test_the_depth_guard_counts_before_parsing():
    with pytest.raises(ApiError, match="nested 33 levels"):
        parse_json("[" * 100_000 + "]" * 100_000)
    deepest: Any = []
    for _ in range(31):
        deepest = [deepest]
    assert parse_json("[" * 32 + "]" * 32) == deepest


async def test_nesting_inside_strings_does_not_count(api):
    status, body = await presence(api, json.dumps({"presence": "[" * 100, "x": "{"}).encode())
    assert (status, body["error"]) == (422, "invalid_presence")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_is_refused_at_parse_time_and_never_echoed(api, constant):
    status, body = await presence(api, f'{{"presence": {constant}}}'.encode())
    assert (status, body["error"]) == (400, "invalid_json")
    assert f"{constant} is not a JSON number" in body["message"]


async def test_a_url_over_8190_bytes_gets_a_json_error(api):
    session, url = api
    status, body = await call(session, "GET", f"{url}/api/agents?x={'a' * 9000}")
    assert (status, body["error"]) == (400, "request_too_long")
    assert "8190 bytes" in body["message"]
    assert "aaaa" not in body["message"]  # the request's bytes are not echoed


async def test_a_10_mb_body_to_a_route_that_reads_none_is_refused(api):
    session, url = api
    status, body = await call(
        session, "POST", f"{url}/api/agents/a1/logout", data=b"x" * 10_000_000
    )
    assert (status, body["error"]) == (413, "body_too_large")
    async with session.get(f"{url}/api/agents/a1") as r:
        assert (await r.json())["presence"] == "available"  # not logged out


async def test_a_body_over_the_routes_cap_is_refused(api):
    big = json.dumps({"presence": "not_available", "reason": "x" * DEFAULT_MAX_BODY}).encode()
    status, body = await presence(api, big)
    assert (status, body["error"], body["details"]) == (
        413,
        "body_too_large",
        {"max_bytes": DEFAULT_MAX_BODY},
    )


async def test_a_chunked_body_over_the_cap_is_refused_too(api):
    session, url = api

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"presence": "not_available", "reason": "'
        for _ in range(10):
            yield b"x" * 10_000
        yield b'"}'

    status, body = await call(
        session,
        "PUT",
        f"{url}/api/agents/a1/presence",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert (status, body["error"]) == (413, "body_too_large")
