"""A node's membership: the lease it renews in the shared store, and the reaping of nodes
whose lease ran out (their reservations released, their agents not left reserved or ringing).

Every node reaps: whichever renews first after a lease expired releases the dead node's
reservations, in one script, so doing it twice is harmless.  Times are wall-clock seconds
(epoch) from the engine's :class:`~foundation.clock.Clock`: nodes on different hosts compare
them, so their clocks must be kept in step (NTP); a lease of 15 s tolerates far more skew.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from acd.state.model import NodeInfo, StateStore
from foundation.clock import Clock

log = logging.getLogger(__name__)


class NodeMembership:
    def __init__(
        self,
        store: StateStore,
        node_id: str,
        clock: Clock,
        *,
        lease_ttl_s: float,
        renew_every_s: float,
        calls: Callable[[], int],
        on_reaped: Callable[[list[str]], Awaitable[None]] | None = None,
    ) -> None:
        """``on_reaped``: told the agents a reap released (the shared pool announces them)."""
        self.store = store
        self.node_id = node_id
        self._clock = clock
        self._ttl_s = lease_ttl_s
        self._every_s = renew_every_s
        self._calls = calls
        self._on_reaped = on_reaped
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def start(self) -> None:
        """Join (the first renewal must succeed: a node that cannot reach Redis does not
        start), then renew in the background."""
        await self.beat()
        self._task = asyncio.create_task(self._renewing(), name=f"node-lease-{self.node_id}")

    async def beat(self) -> dict[str, list[str]]:
        """Renew this node's lease, then reap the nodes whose lease expired."""
        now = self._now()
        await self.store.renew(self.node_id, now, self._calls())
        reaped = await self.store.reap(now, self._ttl_s)
        for node_id, agents in reaped.items():
            log.warning(
                "node %s: lease expired (not renewed for %g s); released its %d reservation(s)%s",
                node_id,
                self._ttl_s,
                len(agents),
                f": {', '.join(agents)}" if agents else "",
            )
        released = [agent for agents in reaped.values() for agent in agents]
        if released and self._on_reaped is not None:
            await self._on_reaped(released)
        return reaped

    async def _renewing(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self.beat()
            except Exception as error:  # Redis away: said once when it starts, once when over
                if not self._failing:
                    log.error("node %s: cannot renew its lease: %s", self.node_id, error)
                self._failing = True
                continue
            if self._failing:
                log.warning("node %s: lease renewed again", self.node_id)
                self._failing = False

    async def nodes(self) -> list[NodeInfo]:
        return await self.store.nodes()

    def now(self) -> float:
        return self._now()

    async def stop(self, *, leave: bool = True) -> None:
        """Stop renewing and leave: this node's reservations are released at once.  Without
        ``leave`` the lease simply runs out (what a crash looks like to the other nodes)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not leave:
            return
        try:
            released = await self.store.leave(self.node_id, self._now())
            if released and self._on_reaped is not None:
                await self._on_reaped(released)  # the other nodes learn they are idle
        except Exception as error:  # the lease runs out by itself; another node reaps it
            log.warning("node %s: could not leave (%s); its lease will expire", self.node_id, error)
