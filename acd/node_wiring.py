"""The engine as one node of several (``redis:`` in acd.yaml, docs: "Several nodes"): where
the composition root (:mod:`acd.app`) puts the shared state's parts, built by
:mod:`acd.state.setup`.  Without the section nothing here exists and the engine is one node.

    reservations in Redis (the router's seam) -> this node's own agent events only to SQL
    -> agents restored from the shared pool, the others from SQL (and published)
    -> the node's lease joined, before an event can reserve -> the pool's feed started
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from functools import partial

from acd.engine.runtime import EngineRuntime
from acd.node_routes import calls_of
from acd.settings.redis_options import RedisSettings
from acd.state.node import NodeMembership
from acd.state.pool import LocalAgentEvents, SharedPool
from acd.state.reservations import RedisReservations
from acd.state.setup import (
    join_nodes,
    load_pool,
    open_pool,
    reassert_after_resync,
    shared_reservations,
)
from foundation.clock import Clock
from foundation.contact import AgentRecord, ContactEventSink
from sla.metrics import EngineMetrics


class NodeWiring:
    """The node's reservations, pool replica and lease, each None on one node."""

    def __init__(self, stack: AsyncExitStack, redis: RedisSettings | None) -> None:
        self._stack = stack
        self.redis = redis
        # Several nodes: agents are reserved in Redis; one node: in memory (None).
        self.reservations: RedisReservations | None = (
            None if redis is None else shared_reservations(stack, redis)
        )
        self.pool: SharedPool | None = None
        self.nodes: NodeMembership | None = None

    def own_agent_events(self, recorder: ContactEventSink) -> ContactEventSink:
        """The records' sink: another node's change to a shared agent is that node's to store."""
        return recorder if self.redis is None else LocalAgentEvents(recorder)

    async def restore_agents(
        self, runtime: EngineRuntime, clock: Clock, stored: Sequence[AgentRecord]
    ) -> None:
        """Agents logged in before the restart, before the first event: from the shared pool
        for the agents Redis knows, from SQL (``stored``, then published) for the others."""
        redis = self.redis
        snapshot = None
        if redis is not None:
            skills = {agent.id: agent.line_codes for agent in runtime.core.config.agents}
            self.pool = await open_pool(
                self._stack, redis, clock, runtime.submit, skills, self.reservations
            )
            runtime.add_sink(self.pool)
            snapshot = await load_pool(self.pool, redis)
            # The pool holds no time figures of the day: those of its agents come from SQL.
            known = self.pool.known(snapshot)
            runtime.restore_agent_figures([a for a in stored if a.agent_id in known])
            stored = [a for a in stored if a.agent_id not in known]
        runtime.restore_agents(stored)
        if self.pool is not None and snapshot is not None:
            self.pool.apply(snapshot, starting=True)

    async def join(
        self,
        runtime: EngineRuntime,
        clock: Clock,
        metrics: EngineMetrics,
        engine_key: str,
        load_stored: Callable[[], Awaitable[Sequence[AgentRecord]]],
    ) -> None:
        """Join the nodes (before an event can reserve), then start the pool's feed.
        ``engine_key`` is the ARI application's lease key; ``load_stored`` the agents' SQL
        records, for a Redis that comes back empty."""
        redis, pool, reservations, stack = self.redis, self.pool, self.reservations, self._stack
        if redis is None or pool is None:
            return
        nodes = await join_nodes(
            stack,
            redis,
            clock,
            lambda: calls_of(runtime.view),
            app=engine_key,
            reservations=reservations,
            on_reaped=pool.announce,
        )
        nodes.outage.watch(metrics.dependency)
        nodes.on_lost.append(runtime.pause_offers)
        # After the reservations' reassert: a Redis that came back empty gets the agents
        # again from SQL, then offers resume.
        nodes.on_rejoin.append(partial(pool.restore_missing, load_stored))
        nodes.on_rejoin.append(runtime.resume_offers)
        if reservations is not None:
            reassert = asyncio.create_task(
                reassert_after_resync(runtime.resynced, reservations), name="reassert"
            )
            stack.callback(reassert.cancel)
        await pool.start()
        stack.push_async_callback(pool.stop)
        self.nodes = nodes
