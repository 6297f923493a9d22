"""The router's :class:`skills.Reservations` seam on Redis: the same compare-and-set script
as :meth:`RedisStateStore.reserve`, called synchronously.

The router is pure and synchronous, so this client blocks the event loop for one round trip
per reservation attempt (about 0.05 ms to a Redis on the same host, a few tenths of a ms on a
LAN; docs/performance.md, "Reservations in Redis", says why that is kept).  A node that loses
the race gets False, and the router moves on to its next candidate.  A release is announced in
the agent feed (:mod:`acd.state.pool`), so a node that lost a race for the agent offers it
again.  The single-node default stays :class:`skills.InMemoryReservations`.

Redis unreachable: a reservation attempt counts as a lost race (the caller stays queued, the
input's other commands go out) and a release that failed is retried by :meth:`retry_failed`
(the shared pool calls it every second), as is a release of every reservation whose answer was
lost (the script may have run).  Said once when it starts and once when it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from redis import Redis, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from acd.state import scripts
from acd.state.keys import DEFAULT_PREFIX, Keys
from acd.state.model import FEED_LENGTH, checked_id

log = logging.getLogger(__name__)

# What an unreachable Redis raises (refused, reset, timed out): an outage, not a bug.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisReservations:
    def __init__(self, client: Redis, node_id: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.node_id = checked_id("node id", node_id)
        self.keys = Keys(prefix)
        self._client = client
        self._reserve: Any = client.register_script(scripts.RESERVE)
        self._release: Any = client.register_script(scripts.RELEASE_ANNOUNCED)
        self._hand_over: Any = client.register_script(scripts.HAND_OVER)
        self._reassert: Any = client.register_script(scripts.REASSERT)
        # What this node reserved, so a release names the contact and cannot undo a
        # reservation another node made after a lease expiry released ours.
        self._held: dict[str, str] = {}
        # Releases to send again: failed ones, and reservations whose answer was lost.  A
        # reassert (on rejoining) settles them all at once.
        self._unreleased: dict[tuple[str, str], None] = {}
        self._failing = False
        self._quiet_until = 0.0
        self._quiet_s = 0.0
        # Set when Redis answers again after failing: the agents this node took for busy
        # meanwhile (lost races) are offered again (the shared pool reloads, see take_recovery).
        self._recovered = False
        # Told when Redis cannot be reached (acd.state.node pauses offers until it rejoins).
        self.on_unreachable: Callable[[BaseException], None] = lambda error: None
        # Set when Redis failed us, cleared by a reassert that succeeds: meanwhile every
        # reservation is refused at once, without blocking the loop on another attempt.
        self.away = False
        self.errors = 0
        self.lost_races = 0  # attempts another node had won (for the demo and the bench)
        # Round trips made, and the time the loop spent blocked in them (the bench's figures).
        self.calls = 0
        self.blocked_s = 0.0

    @classmethod
    def from_url(cls, url: str, node_id: str, prefix: str = DEFAULT_PREFIX) -> RedisReservations:
        # Short timeouts: every call blocks the loop, so a Redis that does not answer must
        # cost a fraction of a second once, not seconds per offer (then offers pause until
        # the node rejoins, see acd.state.node).
        client = Redis.from_url(
            url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        return cls(client, node_id, prefix)

    def _resting(self) -> bool:
        """After a failure, Redis is left alone for a while (real time: 1 s, doubling while it
        keeps failing, at most 10 s): every attempt meanwhile is a lost race at once instead
        of a loop blocked up to the socket timeout."""
        return self._failing and time.monotonic() < self._quiet_until

    def try_reserve(self, agent_id: str, contact_id: str) -> bool:
        if self._resting():
            return False
        keys = [self.keys.reserved(agent_id), self.keys.node_reserved(self.node_id)]
        args = [self.keys.prefix, agent_id, contact_id, self.node_id]
        if self.away:
            return False
        started = time.perf_counter()
        try:
            won = self._reserve(keys=keys, args=args)
        except RedisError as error:
            # Perhaps reserved, perhaps not: released later to be sure; a lost race now (the
            # router moves on; offers pause until the node rejoins).
            self._failed("reserve", agent_id, error)
            self._unreleased[(agent_id, contact_id)] = None
            return False
        finally:
            self._count(started)
        self._working()
        if not won:
            self.lost_races += 1
            return False
        self._unreleased.pop((agent_id, contact_id), None)
        self._held[agent_id] = contact_id
        return True

    def release(self, agent_id: str) -> None:
        contact_id = self._held.pop(agent_id, None)
        if contact_id is not None:
            self._send_release(agent_id, contact_id)

    def _send_release(self, agent_id: str, contact_id: str) -> bool:
        if self._resting():  # owed: sent later, or settled by the rejoin's reassert
            self._unreleased[(agent_id, contact_id)] = None
            return False
        args = [self.keys.prefix, agent_id, contact_id, self.node_id, FEED_LENGTH]
        started = time.perf_counter()
        try:
            self._release(keys=[self.keys.reserved(agent_id), self.keys.agent_feed], args=args)
        except RedisError as error:
            self._failed("release", agent_id, error)
            self._unreleased[(agent_id, contact_id)] = None
            return False
        finally:
            self._count(started)
        self._working()
        return True

    def _count(self, started: float) -> None:
        self.calls += 1
        self.blocked_s += time.perf_counter() - started

    def retry_failed(self) -> int:
        """Send the releases still owed (not for a reservation held again since); returns
        how many are still owed."""
        for agent_id, contact_id in list(self._unreleased):
            if self._held.get(agent_id) == contact_id:
                del self._unreleased[(agent_id, contact_id)]  # ours again: nothing to undo
            elif self._send_release(agent_id, contact_id):
                del self._unreleased[(agent_id, contact_id)]
            else:
                break  # still away: try again later
        return len(self._unreleased)

    def _failed(self, what: str, agent_id: str, error: RedisError) -> None:
        self.errors += 1
        self._quiet_s = min(10.0, self._quiet_s * 2 or 1.0)
        self._quiet_until = time.monotonic() + self._quiet_s
        if not self._failing:
            log.error(
                "node %s: cannot %s agent %s in Redis (%s); treated as taken elsewhere until "
                "Redis answers again",
                self.node_id,
                what,
                agent_id,
                error,
            )
        self._failing = True
        if isinstance(error, UNREACHABLE):
            self.away = True
            self.on_unreachable(error)

    def _working(self) -> None:
        if self._failing:
            log.warning("node %s: reservations in Redis work again", self.node_id)
            self._failing = False
            self._quiet_s = 0.0
            self._recovered = True

    def take_recovery(self) -> bool:
        """True once after Redis answered again following a failure."""
        recovered, self._recovered = self._recovered, False
        return recovered

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
        node released (the releases still owed among them).  Synchronous, like the router's
        calls, so no reserve or release runs between reading what is held and writing it.
        Returns (released, conflicts)."""
        args = [self.keys.prefix, self.node_id]
        for agent_id, contact_id in sorted(self._held.items()):
            args += [agent_id, contact_id]
        released, conflicts = self._reassert(
            keys=[self.keys.node_reserved(self.node_id)], args=args
        )
        self._unreleased.clear()
        if self.away or self._failing:
            self._recovered = True  # the pool reloads: agents taken for busy come back
        self.away = False
        self._failing = False
        self._quiet_s = 0.0
        return list(released), list(conflicts)

    def holder(self, agent_id: str) -> str | None:
        """The contact this node holds the agent for (None: not this node)."""
        return self._held.get(agent_id)

    def close(self) -> None:
        self._client.close()
