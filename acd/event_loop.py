"""The event loop the long-running commands (``acd run``, the benchmarks) run on.

uvloop (libuv, by the authors of httptools) by default: its loop turns, timers and socket
transports cost the engine less CPU per call than asyncio's own (docs/performance.md, "A lean
HTTP client and uvloop").  ``event_loop: asyncio`` in acd.yaml (``ACD_EVENT_LOOP``) opts out.
The tests keep asyncio's loop: their virtual clocks (looptime, the demo's VirtualTimeLoop)
are built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Collection, Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)

LoopKind = Literal["uvloop", "asyncio"]
T = TypeVar("T")


def loop_factory(kind: LoopKind) -> Callable[[], asyncio.AbstractEventLoop]:
    """A new-loop function for :class:`asyncio.Runner`; asyncio's where uvloop is missing."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # not built for this platform (Windows)
            log.warning("uvloop is not installed: running on asyncio's event loop")
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], kind: LoopKind) -> T:
    """``asyncio.run(main)`` on the loop ``kind`` names."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)


def keep_to(cpus: Collection[int]) -> None:
    """Keep this process, every thread it has and any it starts, to ``cpus`` (acd.yaml
    ``cpu_affinity``); none: leave it to the OS.  Raises ``OSError`` naming the processors
    when the OS refuses them (outside this container's cpuset, say)."""
    if not cpus:
        return
    wanted = set(cpus)
    try:
        # A thread starts with its creator's affinity: pinning the ones there are now covers
        # every later one.
        for tid in os.listdir("/proc/self/task"):
            with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                os.sched_setaffinity(int(tid), wanted)
    except OSError as exc:
        raise OSError(exc.errno, f"cpu_affinity {sorted(wanted)}: {exc.strerror}") from None
    log.info("running on processors %s", ", ".join(map(str, sorted(wanted))))
