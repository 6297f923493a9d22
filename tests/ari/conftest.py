from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.ari.client import AriClient
from tests.ari.fake_ari import TRACES, FakeAri, all_trace_names


@pytest.fixture
async def fake() -> AsyncIterator[FakeAri]:
    if not TRACES.is_dir():
        pytest.skip(f"recorded ARI traces not found at {TRACES}")
    server = FakeAri(traces=tuple(all_trace_names()))
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def client(fake: FakeAri) -> AsyncIterator[AriClient]:
    async with AriClient(fake.url, "asterisk", "asterisk", "acd") as ari:
        yield ari
