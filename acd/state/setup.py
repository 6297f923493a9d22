"""Starting a node on the shared state (``redis:`` in acd.yaml): the reservations client the
router uses, and the node's lease.  Without the section neither exists and the engine is one
node, as before."""

from __future__ import annotations

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
from foundation.errors import StartupRefused
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


def _refused(redis: RedisSettings, exc: Exception) -> StartupRefused:
    log.debug("redis check failed", exc_info=True)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StartupRefused(f"redis {redact_url(redis.url)}: {reason}")


async def join_nodes(
    stack: AsyncExitStack,
    redis: RedisSettings,
    clock: Clock,
    calls: Callable[[], int],
    on_reaped: Callable[[list[str]], Awaitable[None]] | None = None,
) -> NodeMembership:
    """Join the shared store: the first renewal must succeed, or the start is refused in one
    line without credentials."""
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
    )
    try:
        await membership.start()
    except Exception as exc:
        raise _refused(redis, exc) from None
    stack.push_async_callback(membership.stop)
    log.info("node %s joined the shared state at %s", redis.node_id, redact_url(redis.url))
    return membership
