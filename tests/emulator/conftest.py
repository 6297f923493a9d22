from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulator import Emulator, reference_config, run_emulator
from tests.emulator.ari import Ari


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with run_emulator(config=reference_config()) as running:
        yield running


@pytest.fixture
async def ari(emu: Emulator) -> AsyncIterator[Ari]:
    async with aiohttp.ClientSession() as session:
        yield Ari(emu, session)
