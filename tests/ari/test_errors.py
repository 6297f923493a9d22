"""Every way an ARI request fails ends as the most specific AriError, translated in one place."""

from __future__ import annotations

import asyncio
import socket
from typing import Literal

import pytest
from aiohttp import web

from acd.ari.client import AriClient
from acd.ari.rest import error_for_status
from foundation.errors import (
    AcdError,
    AriAllocationFailed,
    AriBadRequest,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnavailable,
    AriWrongState,
)
from tests.ari.fake_server import FakeAriServer

HttpClient = Literal["lean", "aiohttp"]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("status", "body", "expected", "message"),
    [
        (400, {"message": "Invalid parameters"}, AriBadRequest, "Invalid parameters"),
        (401, {"message": "Authentication required"}, AriUnauthorized, "Authentication required"),
        (403, {"message": "Forbidden"}, AriUnauthorized, "Forbidden"),
        (404, {"message": "Channel not found"}, AriNotFound, "Channel not found"),
        (409, {"message": "Channel not in Stasis application"}, AriWrongState, "Channel not in"),
        (412, {"message": "Channel in invalid state"}, AriWrongState, "Channel in invalid state"),
        (422, {"message": "Channel not in Stasis application"}, AriWrongState, "Channel not in"),
        (405, None, AriBadRequest, ""),
        (500, {"error": "Allocation failed"}, AriAllocationFailed, "Allocation failed"),
        (500, {"error": "Internal Server Error"}, AriServerError, "Internal Server Error"),
        (500, None, AriServerError, ""),
        (503, "<html>busy</html>", AriServerError, "<html>busy</html>"),
        (302, None, AriError, ""),
    ],
)
def test_status_and_body_map_to_the_most_specific_error(
    status: int, body: object, expected: type[AriError], message: str
) -> None:
    error = error_for_status(status, body, "POST", "/ari/channels/x/answer")
    assert type(error) is expected
    assert isinstance(error, AcdError)
    assert error.status == status
    assert error.message.startswith(message)
    assert (error.method, error.path) == ("POST", "/ari/channels/x/answer")


async def test_404_for_a_channel_that_is_gone(client: AriClient) -> None:
    # info.jsonl: GET /channels/does-not-exist -> 404 {"message": "Channel not found"}
    with pytest.raises(AriNotFound) as caught:
        await client.get_channel("does-not-exist")
    error = caught.value
    assert (error.status, error.message) == (404, "Channel not found")
    assert (error.method, error.path) == ("GET", "/ari/channels/does-not-exist")
    assert str(error) == "GET /ari/channels/does-not-exist: 404 Channel not found"


async def test_404_for_a_playback_that_already_failed(client: AriClient) -> None:
    # queue_abandon.jsonl: a bridge playback under bridge MOH fails at once, then 404s.
    with pytest.raises(AriNotFound, match="Playback not found"):
        await client.stop_playback("periodic-73db45")


@pytest.mark.parametrize("endpoint", ["PJSIP/nosuch", "FOO/bar"])
async def test_500_allocation_failed_for_an_endpoint_that_cannot_be_dialled(
    client: AriClient, endpoint: str
) -> None:
    # originate_failures.jsonl: 500 {"error": "Allocation failed"}, no events.
    with pytest.raises(AriAllocationFailed) as caught:
        await client.originate(endpoint, timeout_s=5)
    assert (caught.value.status, caught.value.message) == (500, "Allocation failed")
    assert (caught.value.method, caught.value.path) == ("POST", "/ari/channels")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(409, AriWrongState), (412, AriWrongState), (422, AriWrongState), (400, AriBadRequest)],
)
async def test_refusals_from_the_server(
    fake: FakeAriServer, client: AriClient, status: int, expected: type[AriError]
) -> None:
    fake.answer(
        "POST",
        "/ari/bridges/br-1/addChannel",
        status,
        {"message": "Channel not in Stasis application"},
    )
    with pytest.raises(expected) as caught:
        await client.add_channel("br-1", ["c1", "c2"])
    assert caught.value.status == status
    assert caught.value.message == "Channel not in Stasis application"
    assert fake.seen[-1].query == {"channel": "c1,c2"}


async def test_wrong_password_is_unauthorized(fake: FakeAriServer, http_client: HttpClient) -> None:
    async with AriClient(fake.url, "asterisk", "wrong", "acd", http_client=http_client) as ari:
        with pytest.raises(AriUnauthorized, match="Authentication required"):
            await ari.ping()


async def test_other_5xx_is_a_server_error(fake: FakeAriServer, client: AriClient) -> None:
    fake.answer("POST", "/ari/bridges/q/moh", 503, {"message": "Service Unavailable"})
    with pytest.raises(AriServerError) as caught:
        await client.start_bridge_moh("q", "default")
    assert type(caught.value) is AriServerError


async def test_an_answer_that_is_not_json_is_a_server_error(
    fake: FakeAriServer, client: AriClient
) -> None:
    async def html(_request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy</html>", content_type="text/html")

    fake.handle("GET", "/ari/asterisk/ping", html)
    with pytest.raises(AriServerError, match="not JSON"):
        await client.ping()


async def test_an_answer_of_the_wrong_shape_is_a_server_error(
    fake: FakeAriServer, client: AriClient
) -> None:
    fake.answer("GET", "/ari/channels/c1", 200, {"name": "no id"})
    with pytest.raises(AriServerError, match="unexpected answer"):
        await client.get_channel("c1")
    fake.answer("GET", "/ari/channels", 200, {"not": "a list"})
    with pytest.raises(AriServerError, match="expected a list"):
        await client.list_channels()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_connection_refused_is_unavailable(http_client: HttpClient) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with AriClient(url, "u", "p", "acd", http_client=http_client) as ari:
        with pytest.raises(AriUnavailable) as caught:
            await ari.answer("c1")
    error = caught.value
    assert error.status == 0
    assert (error.method, error.path) == ("POST", "/ari/channels/c1/answer")


async def test_no_answer_within_the_timeout_is_unavailable_on_the_loop_clock(
    fake: FakeAriServer, http_client: HttpClient
) -> None:
    async def silent(_request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response(status=204)

    fake.handle("POST", "/ari/channels/c1/answer", silent)
    loop = asyncio.get_running_loop()
    async with AriClient(
        fake.url, "asterisk", "asterisk", "acd", request_timeout_s=3, http_client=http_client
    ) as ari:
        started = loop.time()
        with pytest.raises(AriUnavailable, match="no answer within 3 s"):
            await ari.answer("c1")
    assert loop.time() - started == pytest.approx(3, abs=0.1)


async def test_a_get_is_retried_once_after_a_dropped_connection(
    fake: FakeAriServer, client: AriClient
) -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            assert request.transport is not None
            request.transport.abort()  # like a keep-alive connection the server timed out
        return web.json_response([])

    fake.handle("GET", "/ari/channels", flaky)
    assert await client.list_channels() == []
    assert calls == 2


async def test_a_post_is_never_retried(fake: FakeAriServer, client: AriClient) -> None:
    calls = 0

    async def drop(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=204)

    fake.handle("POST", "/ari/channels/c1/answer", drop)
    with pytest.raises(AriUnavailable):
        await client.answer("c1")
    assert calls == 1


async def test_a_get_that_timed_out_is_not_retried(
    fake: FakeAriServer, http_client: HttpClient
) -> None:
    calls = 0

    async def silent(_request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(3600)
        return web.json_response([])

    fake.handle("GET", "/ari/channels", silent)
    loop = asyncio.get_running_loop()
    async with AriClient(
        fake.url, "asterisk", "asterisk", "acd", request_timeout_s=3, http_client=http_client
    ) as ari:
        started = loop.time()
        with pytest.raises(AriUnavailable):
            await ari.list_channels()
    assert calls == 1
    assert loop.time() - started == pytest.approx(3, abs=0.1)
