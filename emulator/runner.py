"""Starting the emulator: in process for tests and the demo, standalone for ``acd emulator``.

::

    async with run_emulator(config=reference_config()) as emu:
        channel_id = emu.pbx.place_call("1700", caller_number="0470123456")
        ...  # point the engine at emu.url with emu.username / emu.password
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from emulator import faults
from emulator.config import PbxConfig, config_from_dict
from emulator.pbx import Pbx
from emulator.rest import EmulatorState, RequestRecord
from emulator.server import build_app

log = logging.getLogger(__name__)

ConfigLike = PbxConfig | Mapping[str, Any] | None


class Emulator:
    """A running emulator: its base URL, credentials, the PBX and the request log."""

    def __init__(self, state: EmulatorState, host: str, port: int) -> None:
        self._state = state
        self.host = host
        self.port = port

    @property
    def pbx(self) -> Pbx:
        return self._state.pbx

    @property
    def url(self) -> str:
        """``http://host:port``: ARI lives under ``/ari``, the control API under ``/emulator``."""
        return f"http://{self.host}:{self.port}"

    @property
    def username(self) -> str:
        return self._state.username

    @property
    def password(self) -> str:
        return self._state.password

    def events_url(self, app: str = "acd") -> str:
        return (
            f"ws://{self.host}:{self.port}/ari/events"
            f"?app={app}&api_key={self.username}:{self.password}"
        )

    @property
    def request_log(self) -> list[RequestRecord]:
        return self._state.request_log

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        """Logged ARI requests, filtered by method and/or path prefix (``/ari/channels``)."""
        return [
            r
            for r in self._state.request_log
            if (method is None or r.method == method) and (path is None or r.path.startswith(path))
        ]

    async def drop_websockets(self, refuse_for_s: float = 0.0) -> None:
        await faults.drop_websockets(self._state, refuse_for_s)


def _config(config: ConfigLike) -> PbxConfig:
    if config is None:
        return PbxConfig()
    if isinstance(config, PbxConfig):
        return config
    return config_from_dict(config)


@asynccontextmanager
async def run_emulator(
    host: str = "127.0.0.1", port: int = 0, config: ConfigLike = None
) -> AsyncIterator[Emulator]:
    """Serve an emulator on ``host:port`` (0 picks a free port) for the ``async with`` body."""
    pbx_config = _config(config)
    state = EmulatorState(Pbx(pbx_config), pbx_config.username, pbx_config.password)
    state.pbx.mark_started()
    runner = web.AppRunner(build_app(state), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    try:
        yield Emulator(state, host, int(bound))
    finally:
        await runner.cleanup()
        state.pbx.shutdown()


async def serve_emulator(host: str, port: int, config: ConfigLike = None) -> None:
    """Run a standalone emulator until cancelled (the ``acd emulator`` command)."""
    async with run_emulator(host, port, config) as emu:
        log.info("ARI emulator listening on %s (user %s)", emu.url, emu.username)
        await asyncio.Event().wait()
