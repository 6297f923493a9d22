from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import pytest

from acd.ari.client import AriClient
from tests.ari.fake_server import FakeAriServer
from tests.traces import trace_names


@pytest.fixture
async def fake() -> AsyncIterator[FakeAriServer]:
    server = FakeAriServer(traces=tuple(trace_names()))
    await server.start()
    yield server
    await server.close()


@pytest.fixture(params=["lean", "aiohttp"])
def http_client(request: pytest.FixtureRequest) -> Literal["lean", "aiohttp"]:
    """Both HTTP clients (``ari.http_client``): every client test passes with each, so the
    lean one sends the same requests and raises the same errors as aiohttp's."""
    kind: Literal["lean", "aiohttp"] = request.param
    return kind


@pytest.fixture
async def client(
    fake: FakeAriServer, http_client: Literal["lean", "aiohttp"]
) -> AsyncIterator[AriClient]:
    async with AriClient(fake.url, "asterisk", "asterisk", "acd", http_client=http_client) as ari:
        yield ari
