"""The running engine's side of the lease: take it at start (or refuse to start), renew it every
few seconds, give it up on a clean stop, and notice when another engine took it over.

A crashed engine (``kill -9``) renews no more, so its lease expires after ``ttl`` and the next
start takes it without anyone's help.  An engine that finds its lease taken over stops rather
than fight for the app: ``on_lost`` is called once, and the composition root stops the engine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta

from acd.lease.rules import Holder, Leases
from foundation.clock import Clock

log = logging.getLogger(__name__)

# Long enough that a busy database or a GC pause does not lose a live engine its lease; short
# enough that the next start after a crash waits only seconds.
DEFAULT_TTL_S = 15.0
DEFAULT_RENEW_EVERY_S = 5.0


def lease_key(ari_url: str, app: str) -> str:
    return f"{ari_url.rstrip('/')} app {app!r}"


def this_process() -> Holder:
    return Holder(secrets.token_hex(8), socket.gethostname(), os.getpid())


class LeaseKeeper:
    def __init__(
        self,
        leases: Leases,
        key: str,
        clock: Clock,
        on_lost: Callable[[], None],
        *,
        holder: Holder | None = None,
        ttl_s: float = DEFAULT_TTL_S,
        renew_every_s: float = DEFAULT_RENEW_EVERY_S,
    ) -> None:
        if not 0 < renew_every_s < ttl_s:
            raise ValueError(f"renew every {renew_every_s} s must be within the TTL {ttl_s} s")
        self._leases = leases
        self.key = key
        self._clock = clock
        self._on_lost = on_lost
        self.holder = holder or this_process()
        self._ttl = timedelta(seconds=ttl_s)
        self._every = renew_every_s
        self._task: asyncio.Task[None] | None = None
        self.lost = False

    async def start(self, *, take_over: bool = False) -> None:
        """Take the lease and start renewing it; raise EngineAlreadyRunning if refused."""
        won, current = await self._leases.acquire(
            self.key, self.holder, self._clock.now(), self._ttl, take_over=take_over
        )
        if not won:
            assert current is not None  # refused means someone holds it
            if not _gone(current.holder, self.holder.host):
                raise current.refusal()
            # Its engine died on this host (kill -9, a crash) and a service manager restarts
            # us at once: waiting out the TTL would leave callers unserved for nothing.
            log.warning(
                "the engine lease on %s belongs to pid %d on this host, which is gone: taking it",
                self.key,
                current.holder.pid,
            )
            take_over = True
            won, current = await self._leases.acquire(
                self.key, self.holder, self._clock.now(), self._ttl, take_over=True
            )
        if take_over:
            log.warning("took over the ARI application %s", self.key)
        self._task = asyncio.create_task(self._renew_forever(), name="engine-lease")

    async def stop(self) -> None:
        """Stop renewing and give the lease up (unless it was taken from us)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        if self.lost:
            return
        try:
            await self._leases.release(self.key, self.holder.owner)
        except Exception:
            # Stopping goes on: the lease expires by itself, the next start waits out the TTL.
            log.warning("could not release the engine lease on %s", self.key, exc_info=True)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                ours = await self._leases.renew(
                    self.key, self.holder.owner, self._clock.now(), self._ttl
                )
            except Exception:
                # A database hiccup: try again next round; the TTL leaves room for two misses.
                log.warning("could not renew the engine lease on %s", self.key, exc_info=True)
                continue
            if not ours:
                self.lost = True
                log.error(
                    "the engine lease on %s was taken over by another engine: stopping",
                    self.key,
                )
                self._on_lost()
                return


def _gone(holder: Holder, this_host: str) -> bool:
    """Whether the holder is an engine process on this host that no longer exists.  On another
    host nothing can be told, and a pid that exists (even if reused) counts as alive."""
    if holder.host != this_host:
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by another user
    return False
