"""A background writer: items filed without blocking, saved in batches, never dropped.

The engine is sans-I/O and must never wait for the database, so :meth:`BatchWriter.put` only
files an item; a background task writes it.  Each time the writer wakes it saves every item
pending at that moment (up to ``batch_size``) in one transaction: one transaction per item cost
more CPU than routing the call.  A transaction costs about as much for one item as for fifty,
and is over so soon that a writer waking at every item would still write batches of two or
three; so it starts at most one transaction per ``write_interval``.  An idle writer writes a
new item at once, a busy one every ``write_interval`` with all that came in meanwhile.  Items
with the same key that queue up are merged into one by the writer's ``merge`` rule (the newest,
by default; contact records keep an ended snapshot over one from before the end).

A failed batch is logged with its keys and retried with exponential backoff for as long as it
takes: an item is never dropped silently.  A batch that fails twice is split in halves, and a
half that fails again is split again, so one item the database refuses ends up alone and
cannot hold back the others; new items keep being written meanwhile.

A database that cannot be reached (refused, reset, timed out) is an outage, not a bad item:
given an :class:`~acd.outages.Outage`, the writer logs it once when it starts and once when
the first batch is written again, and its retries in between at DEBUG.  The items wait in
memory meanwhile, up to ``max_backlog`` keys (items of one key merge, so a contact's many
snapshots are one): at the bound, the oldest item waiting is given up, logged at ERROR in
full (the log is then its only record) and counted in :attr:`BatchWriter.given_up`.  At the
engine's rates the default bound is hours of traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from acd.outages import Outage, unreachable

log = logging.getLogger(__name__)

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

DEFAULT_BATCH_SIZE = 500
# Short next to any call, so an arrival is on disk long before the call ends; long enough
# that under load each transaction carries dozens of items.  What a kill -9 can lose of an
# urgent item (a finished contact, a presence change).
DEFAULT_WRITE_INTERVAL = 0.05
# How long an item that is not urgent (a contact still in progress, an agent's counters) may
# wait for others to share its transaction.  A transaction costs the engine 2-3 ms of CPU
# whatever it carries (SQLAlchemy and aiosqlite's thread hops); at 20 calls/s a 50 ms pace
# meant one per contact event.  What a kill -9 can lose of such an item; a restart takes
# those calls up from ARI anyway (acd/engine/recovery.py).
DEFAULT_LINGER = 0.25

# A batch that failed this many times is split: once may be a passing fault (a dropped
# connection, a deadlock), twice suggests an item the database will keep refusing.
_SPLIT_AFTER_FAILURES = 2

# Keys kept while the database is away: about 100 MB of records, a day's calls of a large
# contact centre.
DEFAULT_MAX_BACKLOG = 100_000


class Saver(Protocol[T_contra]):
    """Where items go: a store's ``save_many``."""

    async def save_many(self, items: Sequence[T_contra], /) -> object:
        """Save all of ``items`` (one per key) in one transaction, or raise."""
        ...


def newest(older: T, newer: T) -> T:
    """The default merge rule: the item filed last wins."""
    return newer


@dataclass(slots=True)
class _Retry:
    """Keys of a failed batch, written together again (newest items) once due."""

    keys: list[str]
    failures: int
    due: float  # event-loop time


class BatchWriter(Generic[T]):
    """Writes items in the background through ``saver``, one per ``key`` at a time.

    Call :meth:`put` from the event loop's thread.  Items filed before :meth:`start` are kept
    and written once it runs.  ``what`` names an item in the logs ("contact", "agent").
    """

    def __init__(
        self,
        saver: Saver[T],
        *,
        key: Callable[[T], str],
        merge: Callable[[T, T], T] = newest,
        what: str,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        write_interval: float = DEFAULT_WRITE_INTERVAL,
        linger: float | None = None,
        max_backlog: int = DEFAULT_MAX_BACKLOG,
        outage: Outage | None = None,
    ) -> None:
        """``linger``: how long items filed without ``urgent`` may wait to be written with
        others (at least ``write_interval``; None: ``write_interval``, every item urgent)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if linger is not None and linger < 0:
            raise ValueError(f"linger must not be negative, not {linger}")
        self._saver = saver
        self._key = key
        self._merge = merge
        self._what = what
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._batch_size = batch_size
        self._write_interval = write_interval
        self._linger = write_interval if linger is None else max(linger, write_interval)
        self._max_backlog = max_backlog
        self.outage = outage or Outage("sql")
        self.given_up = 0  # items given up at the bound
        # Set when an urgent item (or a flush) cuts the linger short; cleared at each batch.
        self._urgent = asyncio.Event()
        self._lingering_since: float | None = None  # loop time the oldest waiting item came
        # The newest unsaved item of each key, insertion-ordered so that the keys waiting
        # longest go into the next batch.  Keys awaiting a retry stay here too, so that newer
        # items merge with them, but only their retry writes them.
        self._pending: dict[str, T] = {}
        self._retries: list[_Retry] = []  # oldest first
        self._retrying: set[str] = set()  # every key in self._retries
        self._in_flight: dict[str, T] = {}
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
        """Keys whose newest item is not written yet."""
        in_flight_only = sum(1 for k in self._in_flight if k not in self._pending)
        return len(self._pending) + in_flight_only

    def unsaved_keys(self) -> list[str]:
        """The keys whose newest item is not written yet."""
        return [*self._pending, *(k for k in self._in_flight if k not in self._pending)]

    def put(self, item: T, *, urgent: bool = True) -> None:
        """File ``item``; an urgent one is written within ``write_interval``, another within
        ``linger`` (with everything pending then)."""
        key = self._key(item)
        older = self._pending.get(key)
        if older is None and len(self._pending) >= self._max_backlog:
            self._give_up_oldest()
        self._pending[key] = item if older is None else self._merge(older, item)
        if urgent:
            self._urgent.set()
        elif self._lingering_since is None:
            self._lingering_since = _loop_time()
        self._idle.clear()
        self._wake.set()

    def _give_up_oldest(self) -> None:
        key = next(iter(self._pending))
        item = self._pending.pop(key)
        self._retrying.discard(key)
        self.given_up += 1
        log.error(
            "%s backlog at its bound of %d while the database is away: giving up %s: %r",
            self._what,
            self._max_backlog,
            key,
            item,
        )

    async def start(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever(), name=f"{self._what}-writer")

    async def flush(self) -> None:
        """Return once every item filed so far is written (or superseded and written)."""
        if self._idle.is_set():
            return
        writer = self._writer
        if writer is None or writer.done():
            raise RuntimeError(f"the {self._what} writer is not running: call start() first")
        self._flushers += 1
        self._hurry.set()
        self._urgent.set()
        idle = asyncio.ensure_future(self._idle.wait())
        try:
            done, _ = await asyncio.wait({idle, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            idle.cancel()
            self._flushers -= 1
            if not self._flushers:
                self._hurry.clear()
        # Not a second look at self._idle: a new item may already have cleared it again.
        if idle not in done:
            raise RuntimeError(f"the {self._what} writer stopped before flushing")

    async def stop(self) -> None:
        """Flush, then stop the writer.

        To give up on a database that stays down, wrap the call in ``asyncio.timeout()``: the
        writer is stopped all the same and each key still unsaved is logged as an error.
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
                    "%s writer stopped with %d record(s) unsaved: %s",
                    self._what,
                    len(self._pending),
                    ", ".join(self._pending),
                )

    async def __aenter__(self) -> Self:
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
            if self._linger > self._write_interval and not self._urgent.is_set():
                since = self._lingering_since
                since = loop.time() if since is None else since
                await _wait_until(self._urgent, max(next_start, since + self._linger))
            await _wait_until(self._hurry, next_start)
            self._urgent.clear()
            self._lingering_since = None
            keys, failures = self._next_batch(loop.time())
            if not keys:  # only retries, none due yet: wait for one, or for a new item
                self._wake.clear()
                await _wait_until(self._wake, min(r.due for r in self._retries))
                continue
            next_start = loop.time() + self._write_interval
            pause = await self._write(keys, failures, loop)
            if pause:
                await asyncio.sleep(pause)

    def _next_batch(self, now: float) -> tuple[list[str], int]:
        """The keys to write next, and how often they have failed together before."""
        for retry in self._retries:
            if retry.due <= now:
                self._retries.remove(retry)
                self._retrying.difference_update(retry.keys)
                return retry.keys, retry.failures
        fresh = (k for k in self._pending if k not in self._retrying)
        return list(itertools.islice(fresh, self._batch_size)), 0

    async def _write(
        self, keys: list[str], failures: int, loop: asyncio.AbstractEventLoop
    ) -> float:
        """Save one batch; on failure schedule its retry and return how long to pause."""
        batch = {k: self._pending.pop(k) for k in keys if k in self._pending}  # not given up
        if not batch:
            return 0.0
        keys = list(batch)
        self._in_flight = batch
        saved = False
        try:
            await self._saver.save_many(list(batch.values()))
            saved = True
        except Exception as error:
            return self._failed(keys, failures + 1, loop.time(), error)
        finally:
            self._in_flight = {}
            if not saved:  # failed or cancelled: a newer item may have arrived meanwhile
                for k, item in batch.items():
                    newer = self._pending.get(k)
                    self._pending[k] = item if newer is None else self._merge(item, newer)
        self._consecutive_failures = 0
        self.outage.recovered(f"{self._what}s written again, {self.backlog} waiting")
        return 0.0

    def _failed(self, keys: list[str], failures: int, now: float, error: Exception) -> float:
        self._consecutive_failures += 1
        delay = self._backoff(failures)
        split = len(keys) > 1 and failures >= _SPLIT_AFTER_FAILURES
        halves = [keys[: len(keys) // 2], keys[len(keys) // 2 :]] if split else [keys]
        for group in halves:
            self._retries.append(_Retry(group, failures, now + delay))
            self._retrying.update(group)
        away = unreachable(error)
        if away:
            self.outage.failed(f"saving {self._what}s: {type(error).__name__}: {error}")
        log.log(
            logging.DEBUG if away else logging.ERROR,
            "saving %d %s(s) failed (attempt %d); retrying in %.1f s%s: %s",
            len(keys),
            self._what,
            failures,
            delay,
            " in two halves" if split else "",
            ", ".join(keys),
            exc_info=not away and (failures == 1 or failures % 10 == 0),
        )
        # A pause for every write, not only this batch's retry: a database that is down fails
        # every batch, and new items would otherwise be tried against it in a tight loop.
        return self._backoff(self._consecutive_failures)

    def _backoff(self, failures: int) -> float:
        return min(self._retry_max, self._retry_initial * 2.0 ** min(failures - 1, 32))


def _loop_time() -> float | None:
    """The running loop's clock; None outside a loop (an item filed before the writer runs:
    its linger then counts from when the writer looks)."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return None


async def _wait_until(event: asyncio.Event, when: float) -> None:
    """Wait until the event is set or the loop's clock reaches ``when``, whichever is first."""
    if event.is_set() or asyncio.get_running_loop().time() >= when:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(when):
            await event.wait()
