"""The REST connection pool: never more connections than allowed (Asterisk refuses sessions
beyond its http.conf ``sessionlimit``, 100 by default), and connections kept alive and reused
rather than opened per request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from acd.ari.http11 import Http11Transport
from acd.ari.rest import DEFAULT_MAX_CONNECTIONS, HttpTransportBase, RestTransport
from acd.settings.models import AriSettings


class CountingServer:
    """Answers every request after 10 ms (loop time); counts connections in use at once and
    the distinct client sockets it saw."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.sockets: set[tuple[str, int]] = set()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        self.sockets.add(request.transport.get_extra_info("peername")[:2])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return web.json_response({"ok": True})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


Transport = type[RestTransport] | type[Http11Transport]


@pytest.fixture(params=[Http11Transport, RestTransport], ids=["lean", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> Transport:
    kind: Transport = request.param
    return kind


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    await counting.start()
    yield counting
    await counting.close()


async def test_a_burst_of_requests_shares_a_few_kept_alive_connections(
    server: CountingServer, transport: Transport
):
    rest: HttpTransportBase = transport(server.url, "asterisk", "asterisk", max_connections=5)
    try:
        answers = await asyncio.gather(
            *(rest.request("POST", f"/ari/channels/c{i}/answer") for i in range(60))
        )
        assert answers == [{"ok": True}] * 60
        assert server.most_in_flight == 5
        first_sockets = set(server.sockets)
        assert len(first_sockets) == 5
        # A second burst goes out on the same connections: none opened anew.
        await asyncio.gather(*(rest.request("GET", "/ari/channels") for _ in range(20)))
        assert server.sockets == first_sockets
    finally:
        await rest.close()


async def test_the_default_pool_stays_well_below_asterisks_session_limit(
    server: CountingServer, transport: Transport
):
    rest: HttpTransportBase = transport(server.url, "asterisk", "asterisk")
    try:
        await asyncio.gather(*(rest.request("GET", "/ari/channels") for _ in range(150)))
    finally:
        await rest.close()
    assert server.most_in_flight == DEFAULT_MAX_CONNECTIONS == 20


def test_a_pool_of_no_connections_or_of_asterisks_whole_limit_is_refused(transport: Transport):
    with pytest.raises(ValueError, match="max_connections"):
        transport("http://127.0.0.1:8088", "u", "p", max_connections=0)
    assert AriSettings().max_connections == 20
    with pytest.raises(ValueError, match="max_connections"):
        AriSettings(max_connections=100)
