"""The router's :class:`skills.Reservations` seam on Redis: the same compare-and-set script
as :meth:`RedisStateStore.reserve`, called synchronously.

The router is pure and synchronous, so this client blocks the event loop for one round trip
per reservation attempt (about 0.1 ms to a Redis on the same host or LAN; see
docs/performance.md).  A node that loses the race gets False, and the router moves on to its
next candidate.  The single-node default stays :class:`skills.InMemoryReservations`.
"""

from __future__ import annotations

from typing import Any

from redis import Redis

from acd.state import scripts
from acd.state.keys import DEFAULT_PREFIX, Keys
from acd.state.model import checked_id


class RedisReservations:
    def __init__(self, client: Redis, node_id: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.node_id = checked_id("node id", node_id)
        self.keys = Keys(prefix)
        self._client = client
        self._reserve: Any = client.register_script(scripts.RESERVE)
        self._release: Any = client.register_script(scripts.RELEASE)
        # What this node reserved, so a release names the contact and cannot undo a
        # reservation another node made after a lease expiry released ours.
        self._held: dict[str, str] = {}

    @classmethod
    def from_url(cls, url: str, node_id: str, prefix: str = DEFAULT_PREFIX) -> RedisReservations:
        return cls(Redis.from_url(url, decode_responses=True), node_id, prefix)

    def try_reserve(self, agent_id: str, contact_id: str) -> bool:
        keys = [self.keys.reserved(agent_id), self.keys.node_reserved(self.node_id)]
        args = [self.keys.prefix, agent_id, contact_id, self.node_id]
        if not self._reserve(keys=keys, args=args):
            return False
        self._held[agent_id] = contact_id
        return True

    def release(self, agent_id: str) -> None:
        contact_id = self._held.pop(agent_id, None)
        if contact_id is not None:
            args = [self.keys.prefix, agent_id, contact_id, self.node_id]
            self._release(keys=[self.keys.reserved(agent_id)], args=args)

    def holder(self, agent_id: str) -> str | None:
        """The contact this node holds the agent for (None: not this node)."""
        return self._held.get(agent_id)

    def close(self) -> None:
        self._client.close()
