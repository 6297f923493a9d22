"""Recordings deleted after their line's retention (``recording.retention_days``), unless a
supervisor holds one.

Each sweep deletes the expired files through ARI (``DELETE /recordings/stored/{name}``; a 404
means the file is gone already, which is what we want), marks the row deleted and logs it; a
refused delete (Asterisk away) is tried again at the next sweep.  Sweeps run every
``interval_s`` on the engine's clock, so a test on virtual time sees days pass in moments.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from acd.quality.recordings import RecordingStore
from foundation.clock import Clock
from foundation.errors import AriError, AriNotFound
from foundation.periodic import Periodic

log = logging.getLogger(__name__)

DeleteStored = Callable[[str], Awaitable[None]]


class RecordingRetention:
    def __init__(
        self,
        store: RecordingStore,
        delete_stored: DeleteStored,
        clock: Clock,
        retention_days: Mapping[str, int],
        *,
        default_days: int = 90,
        interval_s: float = 3600.0,
    ) -> None:
        self._store = store
        self._delete = delete_stored
        self._clock = clock
        self._days = dict(retention_days)
        self._default = default_days
        self._periodic = Periodic(
            "recording-retention", lambda: self.sweep(self._clock.now()), interval_s
        )

    async def sweep(self, now: datetime) -> list[str]:
        """Delete what expired by ``now``; returns the names deleted."""
        deleted = []
        for step in await self._store.expired(now, self._days, self._default):
            try:
                await self._delete(f"{step.name}")
            except AriNotFound:
                pass  # gone already
            except AriError as exc:
                log.warning("recording %s not deleted yet (%s); next sweep", step.name, exc)
                continue
            await self._store.mark_deleted(step.name, now)
            days = self._days.get(step.line, self._default)
            log.info(
                "recording %s of contact %s deleted: line %s keeps recordings %d days",
                step.name,
                step.contact_id,
                step.line,
                days,
            )
            deleted.append(step.name)
        return deleted

    async def start(self) -> None:
        await self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
