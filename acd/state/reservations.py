"""The router's :class:`skills.Reservations` seam on Redis: the same compare-and-set script
as :meth:`RedisStateStore.reserve`, called synchronously.

The router is pure and synchronous, so this client blocks the event loop for one round trip
per reservation attempt (about 0.1 ms to a Redis on the same host or LAN; see
docs/performance.md).  A node that loses the race gets False, and the router moves on to its
next candidate.  The single-node default stays :class:`skills.InMemoryReservations`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from acd.state import scripts
from acd.state.keys import DEFAULT_PREFIX, Keys
from acd.state.model import checked_id

log = logging.getLogger(__name__)

# What an unreachable Redis raises (refused, reset, timed out): an outage, not a bug.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisReservations:
    def __init__(self, client: Redis, node_id: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.node_id = checked_id("node id", node_id)
        self.keys = Keys(prefix)
        self._client = client
        self._reserve: Any = client.register_script(scripts.RESERVE)
        self._release: Any = client.register_script(scripts.RELEASE)
        self._hand_over: Any = client.register_script(scripts.HAND_OVER)
        self._reassert: Any = client.register_script(scripts.REASSERT)
        # What this node reserved, so a release names the contact and cannot undo a
        # reservation another node made after a lease expiry released ours.
        self._held: dict[str, str] = {}
        # Told when Redis cannot be reached (acd.state.node pauses offers until it rejoins);
        # the reservation then counts as lost, and a release is left to the rejoin's reassert.
        self.on_unreachable: Callable[[BaseException], None] = lambda error: None
        # Set when Redis failed us, cleared by a reassert that succeeds: meanwhile every
        # reservation is refused at once, without blocking the loop on another attempt.
        self.away = False

    @classmethod
    def from_url(cls, url: str, node_id: str, prefix: str = DEFAULT_PREFIX) -> RedisReservations:
        # The router waits on this client with the event loop blocked: a Redis that stops
        # answering must cost at most a second, once (then offers pause until it is back).
        client = Redis.from_url(
            url, decode_responses=True, socket_timeout=1.0, socket_connect_timeout=1.0
        )
        return cls(client, node_id, prefix)

    def try_reserve(self, agent_id: str, contact_id: str) -> bool:
        keys = [self.keys.reserved(agent_id), self.keys.node_reserved(self.node_id)]
        args = [self.keys.prefix, agent_id, contact_id, self.node_id]
        if self.away:
            return False
        try:
            if not self._reserve(keys=keys, args=args):
                return False
        except UNREACHABLE as error:
            self._lost(error)
            return False  # as a lost race: the router moves on, offers pause until rejoined
        self._held[agent_id] = contact_id
        return True

    def release(self, agent_id: str) -> None:
        contact_id = self._held.pop(agent_id, None)
        if contact_id is not None and not self.away:  # away: the rejoin's reassert releases it
            args = [self.keys.prefix, agent_id, contact_id, self.node_id]
            try:
                self._release(keys=[self.keys.reserved(agent_id)], args=args)
            except UNREACHABLE as error:
                # Not held here any more: the reassert on rejoining releases it in Redis.
                self._lost(error)

    def _lost(self, error: BaseException) -> None:
        self.away = True
        self.on_unreachable(error)

    def held(self) -> dict[str, str]:
        """Agent -> contact, as this node holds them (its own memory: the truth to rebuild
        Redis from)."""
        return dict(self._held)

    def hand_over(self, from_node: str) -> list[str]:
        """Take over ``from_node``'s reservations (same contacts) and drop that node: a
        standby replacing it on its ARI application.  Returns the agents moved."""
        checked_id("node id", from_node)
        keys = [self.keys.node_reserved(self.node_id), self.keys.nodes]
        moved: list[str] = self._hand_over(
            keys=keys, args=[self.keys.prefix, from_node, self.node_id]
        )
        return moved

    def reassert(self) -> tuple[list[str], list[str]]:
        """Make Redis say what this node holds: each held agent reserved again for its
        contact (unless another node holds it: a conflict), every other reservation of this
        node released.  Synchronous, like the router's calls, so no reserve or release runs
        between reading what is held and writing it.  Returns (released, conflicts)."""
        args = [self.keys.prefix, self.node_id]
        for agent_id, contact_id in sorted(self._held.items()):
            args += [agent_id, contact_id]
        released, conflicts = self._reassert(
            keys=[self.keys.node_reserved(self.node_id)], args=args
        )
        self.away = False
        return list(released), list(conflicts)

    def holder(self, agent_id: str) -> str | None:
        """The contact this node holds the agent for (None: not this node)."""
        return self._held.get(agent_id)

    def close(self) -> None:
        self._client.close()
