"""Reserving an agent: an atomic compare-and-set, separate from choosing one.

The router chooses the best free agent, then calls :meth:`Reservations.try_reserve`; if that
fails (another node, or another router sharing the store, got there first) it drops the agent
from its free indexes and moves on to the next candidate.  This is the seam for multi-node
operation: the store is the one place that decides who holds an agent.

The Protocol is synchronous because routing is a pure, synchronous step.  The Redis variant
(a later issue: a Lua script doing "SET agent:<id>:reserved <contact> NX" and its release)
will be driven by an async shell: it pre-claims candidates with one round trip and hands the
router a store that answers from that result, so the router never waits on I/O.
"""

from __future__ import annotations

from typing import Protocol


class Reservations(Protocol):
    def try_reserve(self, agent_id: str, contact_id: str) -> bool:
        """Reserve ``agent_id`` for ``contact_id`` if nobody holds it; True on success."""
        ...

    def release(self, agent_id: str) -> None:
        """Let go of the agent (no error if it was not reserved)."""
        ...


class InMemoryReservations:
    """One node's store: a dict, atomic because routing runs on one thread."""

    def __init__(self) -> None:
        self._holders: dict[str, str] = {}

    def try_reserve(self, agent_id: str, contact_id: str) -> bool:
        if agent_id in self._holders:
            return False
        self._holders[agent_id] = contact_id
        return True

    def release(self, agent_id: str) -> None:
        self._holders.pop(agent_id, None)

    def holder(self, agent_id: str) -> str | None:
        return self._holders.get(agent_id)

    def __len__(self) -> int:
        return len(self._holders)
