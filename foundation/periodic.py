"""A job run every so often for as long as the engine runs: housekeeping such as retention
sweeps.  A failing run is logged and the next one comes all the same, so one bad night of the
database never ends the sweeping for good."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, job: Callable[[], Awaitable[object]], interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError(f"{name}: interval_s must be more than 0, not {interval_s}")
        self.name = name
        self._job = job
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """The first run now, then one every ``interval_s`` (asyncio's clock, so a test's
        virtual loop time moves it)."""
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._job()
            except Exception:
                log.exception("%s failed; next run in %g s", self.name, self._interval_s)
            await asyncio.sleep(self._interval_s)
