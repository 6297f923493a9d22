"""Issue 16, item 5: PostgreSQL is unreachable for a minute (the engine talks to it through a
TCP proxy the test cuts; the machine's PostgreSQL is never stopped).  Contact records wait in
the writer's queue and are all written when it is back; a caller who asks for a callback
meanwhile hears that it could not be taken and keeps their place in the queue (the promise is
refused, never silently dropped); the API answers 503 with its reason; the outage is logged
once each way and counted once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest

from emulator import CallerScript, DtmfPress
from foundation.contact import Outcome
from tests.system.harness import System
from tests.system.test_callback_flow import callbacks_system

pytestmark = pytest.mark.postgres


class Proxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; :meth:`cut` closes every connection and
    refuses new ones (connection refused), :meth:`restore` listens again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


def _sql_metric(s: System, family: str) -> float:
    for line in s.engine.metrics.render().decode().splitlines():
        if line.startswith(family + "{") and 'dependency="sql"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{family} not on /metrics")


async def test_a_minute_without_postgresql_loses_no_record_and_refuses_callbacks_clearly(
    tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = Proxy(5432)
    await proxy.start()
    proxied = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    async with callbacks_system(tmp_path, storage_url=proxied) as s:
        # Accepts the callback offer at 151 s, keeps their own number at 157 s.
        script = CallerScript(dtmf=(DtmfPress(151.0, "1"), DtmfPress(157.0, "1")))
        caller = s.emu.pbx.place_call("1705", caller_number="0470123456", script=script)
        await s.until(lambda: s.engine.core.contacts)
        [contact] = s.engine.core.contacts.values()
        await s.engine.recorder.flush()

        caplog.set_level(logging.INFO)
        await proxy.cut()
        try:
            await s.wait(140)
            await s.until(lambda: "sound:acd-callback-offer" in s.media_played_to(caller))
            await s.until(lambda: "sound:acd-callback-unavailable" in s.media_played_to(caller))
            assert "sound:acd-callback-accepted" not in s.media_played_to(caller)
            await s.until(lambda: contact.callback_offer is None, timeout_s=60)
            assert s.channel_exists(caller)  # still waiting, in their place
            assert contact.routed
            assert _sql_metric(s, "acd_dependency_up") == 0.0
            status, body = await s.api("GET", "/api/callbacks")
            assert status == 503, body
            assert body["error"] == "storage_unavailable"
            s.emu.pbx.hangup_from_phone(caller)  # gives up while the database is away
            await s.until(lambda: not s.engine.core.contacts)
            assert s.engine.recorder.backlog >= 1  # waiting in memory
        finally:
            await proxy.restore()  # else the engine's stop waits for its records forever
        await s.until(lambda: s.engine.recorder.backlog == 0, timeout_s=120)
        assert _sql_metric(s, "acd_dependency_up") == 1.0
        assert _sql_metric(s, "acd_dependency_outages_total") == 1.0
        (record,) = [r for r in await s.records() if r.channel_id == caller]
        assert record.outcome is Outcome.ABANDONED
        assert await s.engine.callbacks.list() == []  # refused, so none half-stored
        said = [r.getMessage() for r in caplog.records if r.name == "acd.outages"]
        assert [m.split(":")[0].split(" after")[0] for m in said] == [
            "sql outage began",
            "sql outage over",
        ]
    await proxy.cut()
