"""Starting a node on the shared state (``redis:`` in acd.yaml): the reservations client the
router uses, and the node's lease.  Without the section neither exists and the engine is one
node, as before."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack

from acd.engine.inputs import Input
from acd.settings.redis_options import RedisSettings
from acd.state.model import PoolSnapshot
from acd.state.node import NodeMembership
from acd.state.pool import SharedPool
from acd.state.redis_store import RedisStateStore
from acd.state.reservations import RedisReservations
from foundation.clock import Clock
from foundation.errors import StartupRefused, one_line
from foundation.redact import redact_url

log = logging.getLogger(__name__)


def shared_reservations(stack: AsyncExitStack, redis: RedisSettings) -> RedisReservations:
    reservations = RedisReservations.from_url(redis.client_url(), redis.node_id, redis.key_prefix)
    stack.callback(reservations.close)
    return reservations


async def open_pool(
    stack: AsyncExitStack,
    redis: RedisSettings,
    clock: Clock,
    submit: Callable[[Input], None],
    skills: Mapping[str, Mapping[str, int]],
    reservations: RedisReservations | None,
) -> SharedPool:
    """The node's replica of the shared agent pool (not started yet: load, apply, start)."""
    store = RedisStateStore.from_url(redis.client_url(), redis.key_prefix, hold=clock.hold)
    stack.push_async_callback(store.close)
    return SharedPool(store, redis.node_id, submit, skills, reservations=reservations)


async def load_pool(pool: SharedPool, redis: RedisSettings) -> PoolSnapshot:
    """The pool as Redis holds it; a Redis that cannot be reached refuses the start."""
    try:
        return await pool.load()
    except Exception as exc:
        raise _refused(redis, exc) from None


def _refused(redis: RedisSettings, exc: BaseException) -> StartupRefused:
    log.debug("redis check failed", exc_info=True)
    return StartupRefused(f"redis {redact_url(redis.url)}: {one_line(exc)}")


async def join_nodes(
    stack: AsyncExitStack,
    redis: RedisSettings,
    clock: Clock,
    calls: Callable[[], int],
    *,
    app: str = "",
    reservations: RedisReservations | None = None,
    on_reaped: Callable[[list[str]], Awaitable[None]] | None = None,
) -> NodeMembership:
    """Join the shared store: the first renewal must succeed, or the start is refused in one
    line without credentials.

    ``app`` is the ARI application this engine holds the lease of (acd.lease): a live node with
    this node's id serving another application is refused (two engines would share one
    identity); a node serving this application is the one this engine replaces (a standby
    taking over, or this node restarted), whose reservations this node takes over.
    """
    store = RedisStateStore.from_url(redis.client_url(), redis.key_prefix, hold=clock.hold)
    stack.push_async_callback(store.close)
    membership = NodeMembership(
        store,
        redis.node_id,
        clock,
        lease_ttl_s=redis.lease_ttl_s,
        renew_every_s=redis.lease_renew_s,
        calls=calls,
        on_reaped=on_reaped,
        app=app,
    )
    try:
        members = await store.nodes()
    except Exception as exc:
        raise _refused(redis, exc) from None
    now = membership.now()
    for node in members:
        live = node.lease_age(now) < redis.lease_ttl_s
        if node.node_id == redis.node_id and live and node.app != app:
            raise StartupRefused(
                f"redis node id {node.node_id!r} is live: its lease was renewed "
                f"{node.lease_age(now):.1f} s ago by an engine serving "
                f"{node.app or 'another ARI application'}; give this engine its own "
                f"redis.node_id (or, if that engine is gone, start again in "
                f"{redis.lease_ttl_s - node.lease_age(now):.0f} s)"
            )
        if node.node_id != redis.node_id and app and node.app == app and reservations:
            # This engine holds the application's lease: that node's engine is gone (or
            # stopping, taken over); its ringing and talking agents stay held, now by us.
            moved = reservations.hand_over(node.node_id)
            log.warning(
                "node %s served %s before this node: took over its %d reservation(s)%s",
                node.node_id,
                app,
                len(moved),
                f": {', '.join(moved)}" if moved else "",
            )
    try:
        await membership.start()
    except Exception as exc:
        raise _refused(redis, exc) from None
    stack.push_async_callback(membership.stop)
    if reservations is not None:
        reservations.on_unreachable = membership.unreachable
        membership.on_rejoin.append(lambda: _reassert(reservations))
    log.info("node %s joined the shared state at %s", redis.node_id, redact_url(redis.url))
    return membership


async def reassert_after_resync(resynced: asyncio.Event, reservations: RedisReservations) -> None:
    """Once the first resynchronisation has taken up what ARI still holds, drop the
    reservations this node (or the node it replaces) left that no call claims any more."""
    await resynced.wait()
    try:
        await _reassert(reservations)
    except Exception as error:  # Redis away: the rejoin after the outage reasserts
        reservations.on_unreachable(error)


async def _reassert(reservations: RedisReservations) -> None:
    released, conflicts = reservations.reassert()
    if released:
        log.warning(
            "node %s: released %d reservation(s) no call here holds: %s",
            reservations.node_id,
            len(released),
            ", ".join(released),
        )
    for agent_id in conflicts:
        log.error(
            "node %s: agent %s is on a call here for contact %s but held by another node "
            "(its lease lapsed while Redis was away): it may be offered twice",
            reservations.node_id,
            agent_id,
            reservations.holder(agent_id),
        )
