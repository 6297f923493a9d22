from __future__ import annotations

from collections.abc import AsyncIterator

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


@pytest.fixture
async def client(fake: FakeAriServer) -> AsyncIterator[AriClient]:
    async with AriClient(fake.url, "asterisk", "asterisk", "acd") as ari:
        yield ari
