"""The event sink that turns the engine's contact events into saved contact records.

The engine is sans-I/O and must never wait for the database, so :meth:`contact_event` only
files the snapshot; a background task writes it.  Each time the writer wakes it saves every
contact pending at that moment (up to ``batch_size``) in one transaction: one transaction per
snapshot cost more CPU than routing the call.  A transaction costs about as much for one
contact as for fifty, and is over so soon that a writer waking at every snapshot would still
write batches of two or three; so it starts at most one transaction per ``write_interval``.  An
idle recorder writes a new snapshot at once, a busy one every ``write_interval`` with all that
came in meanwhile.  Snapshots of one contact that queue up are coalesced into the newest,
except that an ended snapshot is never replaced by one from before the end.

A failed batch is logged with its contact ids and retried with exponential backoff for as long
as it takes: a record is never dropped silently.  A batch that fails twice is split in halves,
and a half that fails again is split again, so one record the database refuses ends up alone
and cannot hold back the others; new snapshots keep being written meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from foundation.contact import AgentEvent, ContactEvent, ContactRecord

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
# Short next to any call, so an arrival is on disk long before the call ends; long enough
# that under load each transaction carries dozens of contacts.
DEFAULT_WRITE_INTERVAL = 0.05

# A batch that failed this many times is split: once may be a passing fault (a dropped
# connection, a deadlock), twice suggests a record the database will keep refusing.
_SPLIT_AFTER_FAILURES = 2


class RecordSaver(Protocol):
    """Where records go; :class:`acd.records.ContactStore` is the real one."""

    async def save_many(self, records: Sequence[ContactRecord]) -> object:
        """Save all of ``records`` (one per contact) in one transaction, or raise."""
        ...


@dataclass(slots=True)
class _Retry:
    """Contacts of a failed batch, written together again (newest snapshots) once due."""

    ids: list[str]
    failures: int
    due: float  # event-loop time


class ContactRecorder:
    """A :class:`foundation.contact.ContactEventSink` that writes contact records in the background.

    Call :meth:`contact_event` from the event loop's thread.  Events taken before
    :meth:`start` are kept and written once it runs.
    """

    def __init__(
        self,
        store: RecordSaver,
        *,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        write_interval: float = DEFAULT_WRITE_INTERVAL,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self._store = store
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._batch_size = batch_size
        self._write_interval = write_interval
        # The newest unsaved snapshot of each contact, insertion-ordered so that the contacts
        # waiting longest go into the next batch.  Contacts awaiting a retry stay here too, so
        # that newer snapshots coalesce with them, but only their retry writes them.
        self._pending: dict[str, ContactRecord] = {}
        self._retries: list[_Retry] = []  # oldest first
        self._retrying: set[str] = set()  # every id in self._retries
        self._in_flight: dict[str, ContactRecord] = {}
        self._consecutive_failures = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        # Set while a flush() waits: whoever waits for the data gets it without pacing delays.
        self._hurry = asyncio.Event()
        self._flushers = 0
        self._writer: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        """Contacts whose newest snapshot is not written yet."""
        in_flight_only = sum(1 for cid in self._in_flight if cid not in self._pending)
        return len(self._pending) + in_flight_only

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
        self._flushers += 1
        self._hurry.set()
        idle = asyncio.ensure_future(self._idle.wait())
        try:
            done, _ = await asyncio.wait({idle, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            idle.cancel()
            self._flushers -= 1
            if not self._flushers:
                self._hurry.clear()
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
        loop = asyncio.get_running_loop()
        next_start = loop.time()
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            # Not at once: what comes in while we wait joins this batch.
            await _wait_until(self._hurry, next_start)
            ids, failures = self._next_batch(loop.time())
            if not ids:  # only retries, none due yet: wait for one, or for a new snapshot
                self._wake.clear()
                await _wait_until(self._wake, min(r.due for r in self._retries))
                continue
            next_start = loop.time() + self._write_interval
            pause = await self._write(ids, failures, loop)
            if pause:
                await asyncio.sleep(pause)

    def _next_batch(self, now: float) -> tuple[list[str], int]:
        """The ids to write next, and how often they have failed together before."""
        for retry in self._retries:
            if retry.due <= now:
                self._retries.remove(retry)
                self._retrying.difference_update(retry.ids)
                return retry.ids, retry.failures
        fresh = (cid for cid in self._pending if cid not in self._retrying)
        return list(itertools.islice(fresh, self._batch_size)), 0

    async def _write(self, ids: list[str], failures: int, loop: asyncio.AbstractEventLoop) -> float:
        """Save one batch; on failure schedule its retry and return how long to pause."""
        batch = {cid: self._pending.pop(cid) for cid in ids}
        self._in_flight = batch
        saved = False
        try:
            await self._store.save_many(list(batch.values()))
            saved = True
        except Exception:
            return self._failed(ids, failures + 1, loop.time())
        finally:
            self._in_flight = {}
            if not saved:  # failed or cancelled: a newer snapshot may have arrived meanwhile
                for cid, record in batch.items():
                    newer = self._pending.get(cid)
                    self._pending[cid] = record if newer is None else _newest(record, newer)
        self._consecutive_failures = 0
        return 0.0

    def _failed(self, ids: list[str], failures: int, now: float) -> float:
        self._consecutive_failures += 1
        delay = self._backoff(failures)
        split = len(ids) > 1 and failures >= _SPLIT_AFTER_FAILURES
        halves = [ids[: len(ids) // 2], ids[len(ids) // 2 :]] if split else [ids]
        for group in halves:
            self._retries.append(_Retry(group, failures, now + delay))
            self._retrying.update(group)
        log.error(
            "saving %d contact(s) failed (attempt %d); retrying in %.1f s%s: %s",
            len(ids),
            failures,
            delay,
            " in two halves" if split else "",
            ", ".join(ids),
            exc_info=failures == 1 or failures % 10 == 0,
        )
        # A pause for every write, not only this batch's retry: a database that is down fails
        # every batch, and new snapshots would otherwise be tried against it in a tight loop.
        return self._backoff(self._consecutive_failures)

    def _backoff(self, failures: int) -> float:
        return min(self._retry_max, self._retry_initial * 2.0 ** min(failures - 1, 32))


async def _wait_until(event: asyncio.Event, when: float) -> None:
    """Wait until the event is set or the loop's clock reaches ``when``, whichever is first."""
    if event.is_set() or asyncio.get_running_loop().time() >= when:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(when):
            await event.wait()


def _newest(older: ContactRecord | None, newer: ContactRecord) -> ContactRecord:
    """The snapshot to keep of two of one contact: the newer, unless only the older has ended."""
    if older is not None and older.ended_at is not None and newer.ended_at is None:
        return older
    return newer
