"""The event sink that turns the engine's contact events into saved contact records.

The engine is sans-I/O and must never wait for the database, so :meth:`contact_event` only
files the snapshot; a background task writes it.  Snapshots of one contact that queue up while
the database is slow are coalesced into the newest, except that an ended snapshot is never
replaced by one from before the end.  A failed write is logged with the contact id and retried
with exponential backoff for as long as it takes: a record is never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Protocol

from acd.contact import AgentEvent, ContactEvent, ContactRecord

log = logging.getLogger(__name__)


class RecordSaver(Protocol):
    """Where records go; :class:`acd.records.ContactStore` is the real one."""

    async def save(self, record: ContactRecord) -> object: ...


class ContactRecorder:
    """A :class:`acd.contact.ContactEventSink` that writes contact records in the background.

    Call :meth:`contact_event` from the event loop's thread.  Events taken before
    :meth:`start` are kept and written once it runs.
    """

    def __init__(
        self, store: RecordSaver, *, retry_initial: float = 0.5, retry_max: float = 30.0
    ) -> None:
        self._store = store
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        # Insertion-ordered: the contact waiting longest is written first.
        self._pending: dict[str, ContactRecord] = {}
        self._in_flight: ContactRecord | None = None
        self._attempts: dict[str, int] = {}
        self._consecutive_failures = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        """Contacts whose newest snapshot is not written yet."""
        return len(self._pending) + (self._in_flight is not None)

    def contact_event(self, event: ContactEvent) -> None:
        record = event.contact
        self._pending[record.id] = _newest(self._pending.get(record.id), record)
        self._idle.clear()
        self._wake.set()

    def agent_event(self, event: AgentEvent) -> None:
        """Agent history is not recorded (yet)."""

    async def start(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever(), name="contact-recorder")

    async def flush(self) -> None:
        """Return once every snapshot taken so far is written (or superseded and written)."""
        if self._idle.is_set():
            return
        writer = self._writer
        if writer is None or writer.done():
            raise RuntimeError("the contact recorder is not running: call start() first")
        idle = asyncio.ensure_future(self._idle.wait())
        try:
            done, _ = await asyncio.wait({idle, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            idle.cancel()
        # Not a second look at self._idle: a new event may already have cleared it again.
        if idle not in done:
            raise RuntimeError("the contact recorder's writer stopped before flushing")

    async def stop(self) -> None:
        """Flush, then stop the writer.

        To give up on a database that stays down, wrap the call in ``asyncio.timeout()``: the
        writer is stopped all the same and each contact still unsaved is logged as an error.
        """
        writer = self._writer
        if writer is None:
            return
        try:
            await self.flush()
        finally:
            self._writer = None
            writer.cancel()
            await asyncio.wait({writer})  # never raises: the writer's own end is not ours
            if self._pending:
                log.error(
                    "contact recorder stopped with %d record(s) unsaved: %s",
                    len(self._pending),
                    ", ".join(self._pending),
                )

    async def __aenter__(self) -> ContactRecorder:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _write_forever(self) -> None:
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            record = self._pending.pop(next(iter(self._pending)))
            delay = await self._write(record)
            if delay:
                await asyncio.sleep(delay)

    async def _write(self, record: ContactRecord) -> float:
        """Save one snapshot; on failure put it back and return how long to back off."""
        self._in_flight = record
        saved = False
        try:
            await self._store.save(record)
            saved = True
        except Exception:
            return self._failed(record)
        finally:
            self._in_flight = None
            if not saved:  # failed or cancelled: a newer snapshot may have arrived meanwhile
                newer = self._pending.get(record.id)
                self._pending[record.id] = record if newer is None else _newest(record, newer)
        self._consecutive_failures = 0
        self._attempts.pop(record.id, None)
        return 0.0

    def _failed(self, record: ContactRecord) -> float:
        self._consecutive_failures += 1
        attempt = self._attempts[record.id] = self._attempts.get(record.id, 0) + 1
        # Backing off on both counts: a database that is down slows every write, and one
        # record the database keeps refusing does not get retried in a tight loop.
        exponent = max(attempt, self._consecutive_failures) - 1
        delay = min(self._retry_max, self._retry_initial * 2.0 ** min(exponent, 32))
        log.error(
            "saving contact %s failed (attempt %d); retrying in %.1f s",
            record.id,
            attempt,
            delay,
            exc_info=attempt == 1 or attempt % 10 == 0,
        )
        return delay


def _newest(older: ContactRecord | None, newer: ContactRecord) -> ContactRecord:
    """The snapshot to keep of two of one contact: the newer, unless only the older has ended."""
    if older is not None and older.ended_at is not None and newer.ended_at is None:
        return older
    return newer
