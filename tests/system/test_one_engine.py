"""Issue 10, item 7: one engine per ARI application.  A second engine against the same emulator
and app is refused with a message naming the live one, and leaves it alone; one started with
take-over gets the app, and the first notices and stops rather than take it back."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from acd.app import running_engine
from foundation.errors import EngineAlreadyRunning
from tests.system.harness import system


async def test_a_second_engine_is_refused_and_one_taking_over_stops_the_first(
    tmp_path: Path,
) -> None:
    # The production lease timings (the harness stretches them for tests of virtual days).
    lease = {"storage.lease_ttl_s": "15", "storage.lease_renew_s": "5"}
    async with system(tmp_path, overrides=lease) as sys_:
        first = sys_.engine
        settings = first.settings
        with pytest.raises(EngineAlreadyRunning) as refused:
            async with running_engine(settings, clock=first.clock, http=False):
                pytest.fail("a second engine started on a live engine's ARI application")
        message = str(refused.value)
        for part in (socket.gethostname(), f"pid {os.getpid()}", repr(settings.ari.app)):
            assert part in message
        assert refused.value.renewed_at <= first.clock.now()

        # The refused engine never touched the app: the first keeps it, renewing its lease.
        await sys_.wait(60)
        assert first.stream.connected
        assert not first.lost_lease.is_set()

        async with running_engine(
            settings, clock=first.clock, http=False, take_over=True
        ) as second:
            await second.stream.wait_connected(timeout_s=10)
            await sys_.until(first.lost_lease.is_set, timeout_s=10)
            await sys_.until(lambda: not first.stream.connected, timeout_s=10)
            await sys_.wait(300)  # well past the stream's "replaced" backoff: no fight
            assert not first.stream.connected
            assert second.stream.connected
            assert not second.lost_lease.is_set()
