"""The one clock: every timer in the engine, the emulator and the simulator reads it.

Monotonic time is the event loop's ``time()``; wall-clock time is derived from it by a fixed
anchor, so both move together.  On a :class:`VirtualTimeLoop` the loop's time jumps straight to
the next scheduled timer whenever no I/O is ready, which lets a 150 s wait or a simulated hour
run in milliseconds while real loopback HTTP and WebSocket traffic still flows.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

_T = TypeVar("_T")

Hold = Callable[[], AbstractContextManager[None]]
"""Holds the clock still around real work (a thread, a database round trip): a store or the
migration runner takes one from its composition root and wraps its awaits of real I/O in it, so
on virtual time no timer fires "during" a write it should follow.  On a real loop it is a no-op,
which is also what a component gets when nobody passes one (:func:`no_hold`)."""


def no_hold() -> AbstractContextManager[None]:
    """The :data:`Hold` of a real clock: real time goes on anyway, there is nothing to hold."""
    return nullcontext()


class Clock:
    """Loop time plus a wall-clock anchor.  Read at the edge and pass ``now`` down."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None = None,
        wall_start: datetime | None = None,
    ) -> None:
        self._loop = loop
        self._loop_start: float | None = None
        self._wall_start = wall_start

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def monotonic(self) -> float:
        """Seconds on the loop's clock (virtual under a :class:`VirtualTimeLoop`)."""
        return self.loop.time()

    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC, moving in step with :meth:`monotonic`."""
        t = self.monotonic()
        if self._loop_start is None:
            self._loop_start = t
            if self._wall_start is None:
                self._wall_start = datetime.now(UTC)
        assert self._wall_start is not None
        return self._wall_start + timedelta(seconds=t - self._loop_start)

    def hold(self) -> AbstractContextManager[None]:
        """This clock's :data:`Hold`: stand still while real work runs (virtual time only)."""
        return _hold(self.loop)


class _FastForwardSelector:
    """Wraps the loop's selector: polls real I/O without blocking, and when nothing is ready
    advances the virtual clock by the timeout the loop asked for instead of sleeping."""

    def __init__(self, inner: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._inner = inner
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if ready:
            return ready
        if timeout is not None and timeout <= 0:
            return []  # callbacks are ready to run: a poll, never a wait (nor a time jump)
        if timeout is None or self._loop.real_work_pending():
            # Nothing scheduled, or a worker thread is busy: wait for real I/O (a thread's
            # result arrives through the loop's self-pipe), in short real slices.
            return self._inner.select(0.05 if timeout is not None else None)
        if timeout > 0:
            self._loop.advance(timeout)
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual and fast-forwards when idle.

    Real sockets keep working: loopback traffic written by one side is readable by the other
    before the writer's ``send`` returns, so the loop only skips ahead when no byte is in
    flight.  Work handed to threads through ``run_in_executor`` holds the clock still until
    it finishes, so a database write is never overtaken by a timer it should precede.
    """

    def __init__(self, start: float = 0.0) -> None:
        super().__init__()
        self._virtual_now = start
        self._real_jobs = 0
        inner: selectors.BaseSelector = getattr(self, "_selector")  # noqa: B009
        # The loop only calls select/register/modify/unregister/get_key/get_map/close on it.
        setattr(self, "_selector", _FastForwardSelector(inner, self))  # noqa: B010

    def time(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        self._virtual_now += seconds

    def real_work_pending(self) -> bool:
        return self._real_jobs > 0

    def hold_clock(self) -> _ClockHold:
        """Context manager: the clock stands still while real work (a thread) runs."""
        return _ClockHold(self)

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., _T], *args: Any
    ) -> asyncio.Future[_T]:
        fut = super().run_in_executor(executor, func, *args)
        self._real_jobs += 1
        fut.add_done_callback(self._job_done)
        return fut

    def _job_done(self, _fut: asyncio.Future[Any]) -> None:
        self._real_jobs -= 1


class _ClockHold:
    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._loop = loop

    def __enter__(self) -> None:
        self._loop._real_jobs += 1

    def __exit__(self, *exc: object) -> None:
        self._loop._real_jobs -= 1


def hold_clock() -> AbstractContextManager[None]:
    """The running loop's :data:`Hold`, for code that has no :class:`Clock` at hand (test
    helpers doing SQL of their own); components take a ``hold`` from their composition root."""
    return _hold(asyncio.get_running_loop())


def _hold(loop: asyncio.AbstractEventLoop) -> AbstractContextManager[None]:
    if isinstance(loop, VirtualTimeLoop):
        return loop.hold_clock()
    return nullcontext()
