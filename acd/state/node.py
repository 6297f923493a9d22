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

from acd.outages import Outage
from acd.state.model import NodeInfo, StateStore
from foundation.clock import Clock

log = logging.getLogger(__name__)

# Retries while Redis is away: soon at first (a restart takes a second or two), then every
# renewal interval at most.
RETRY_FIRST_S = 0.5


class NodeMembership:
    """The node's lease, and what the node does when it loses Redis and gets it back.

    Redis unreachable (a renewal or a reservation fails): the outage begins (logged once,
    ``acd_dependency_up{dependency="redis"}`` 0) and every ``on_lost`` hook runs: the engine
    stops offering, because it cannot reserve, and because a lease that is not renewed lets
    the other nodes reap this node and reserve its agents.  Renewals are retried with backoff.
    The first that succeeds (re-registered) runs every ``on_rejoin`` hook, in order, before the
    outage is declared over: they rebuild what this node owns in Redis from its own memory
    (its reservations; the shared agent pool can add its own hook) and resume offers.  The same
    hooks run when a renewal finds the node not a member any more (a Redis that came back
    empty, or this node reaped), even if no call failed in between.
    """

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
        app: str = "",
    ) -> None:
        """``on_reaped``: told the agents a reap released (the shared pool announces them)."""
        self.store = store
        self.node_id = node_id
        self.app = app
        self._clock = clock
        self._ttl_s = lease_ttl_s
        self._every_s = renew_every_s
        self._calls = calls
        self._on_reaped = on_reaped
        self._task: asyncio.Task[None] | None = None
        self._retry_now = asyncio.Event()
        self.outage = Outage("redis")
        self.on_lost: list[Callable[[], None]] = []
        self.on_rejoin: list[Callable[[], Awaitable[object]]] = []
        self.rejoins = 0

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def start(self) -> None:
        """Join (the first renewal must succeed: a node that cannot reach Redis does not
        start), then renew in the background."""
        await self.beat()
        self._task = asyncio.create_task(self._renewing(), name=f"node-lease-{self.node_id}")

    async def beat(self) -> dict[str, list[str]]:
        """Renew this node's lease, then reap the nodes whose lease expired."""
        reaped, _ = await self._beat()
        return reaped

    async def _beat(self) -> tuple[dict[str, list[str]], bool]:
        now = self._now()
        joined = await self.store.renew(self.node_id, now, self._calls(), self.app)
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
        return reaped, joined

    def unreachable(self, error: BaseException) -> None:
        """Redis failed a call outside the renewals (a reservation): the outage begins now,
        and the renewal loop retries at once."""
        if self._lost(error):
            self._retry_now.set()

    def _lost(self, error: BaseException) -> bool:
        if not self.outage.failed(f"node {self.node_id}: {type(error).__name__}: {error}"):
            return False
        for hook in self.on_lost:
            try:
                hook()
            except Exception:
                log.exception("node %s: an on_lost hook failed", self.node_id)
        return True

    async def _renewing(self) -> None:
        failures = 0
        while True:
            delay = (
                self._every_s
                if not failures
                else min(self._every_s, RETRY_FIRST_S * 2 ** (failures - 1))
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._retry_now.wait()
            self._retry_now.clear()
            try:
                _, joined = await self._beat()
            except Exception as error:  # Redis away: said once when it starts, once when over
                self._lost(error)
                failures += 1
                continue
            failures = 0
            if self.outage.up:
                if not joined:
                    continue  # the usual renewal
                # Not a member any more, though no call failed: Redis lost our keys.
                log.warning("node %s: not a member of the shared state any more", self.node_id)
            try:
                await self._rejoined()
            except Exception as error:
                log.warning(
                    "node %s: rebuilding after rejoining failed", self.node_id, exc_info=True
                )
                self._lost(error)
                failures += 1
                continue
            self.outage.recovered("lease renewed, this node's shared state rebuilt")

    async def _rejoined(self) -> None:
        self.rejoins += 1
        for hook in self.on_rejoin:
            await hook()

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
