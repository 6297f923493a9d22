"""Starting the emulator standalone (``acd emulator``) and in process."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import aiohttp

from emulator import run_emulator, serve_emulator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_emulator_runs_until_cancelled() -> None:
    port = free_port()
    config = {"dialplan": {"1700": "acd,inbound"}, "endpoints": {"agent1": {}}}
    task = asyncio.create_task(serve_emulator("127.0.0.1", port, config))
    await asyncio.sleep(0.1)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/ari/endpoints?api_key=asterisk:asterisk") as r,
    ):
        assert r.status == 200
        assert [e["resource"] for e in await r.json()] == ["agent1"]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_run_emulator_takes_credentials_from_the_config() -> None:
    config = {"username": "ari", "password": "s3cret"}
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        assert emu.url.startswith("http://127.0.0.1:")
        async with session.get(f"{emu.url}/ari/asterisk/ping?api_key=ari:s3cret") as r:
            assert r.status == 200
        async with session.get(f"{emu.url}/ari/asterisk/ping?api_key=asterisk:asterisk") as r:
            assert r.status == 401
