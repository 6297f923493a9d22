"""The single-node store: dicts, atomic because a node runs one event loop (no method awaits
anything before it has finished its change)."""

from __future__ import annotations

import bisect
import dataclasses

from acd.state.model import (
    OFFERING_ACTIVITIES,
    NodeInfo,
    Reservation,
    SharedAgent,
    StateStoreError,
    WaitingContact,
    checked_id,
    checked_priority,
)


def _order(contact: WaitingContact) -> tuple[int, int]:
    return (-contact.priority, contact.seq)


class MemoryStateStore:
    def __init__(self) -> None:
        self._agents: dict[str, SharedAgent] = {}
        self._counters: dict[tuple[str, str], dict[str, int]] = {}
        self._seq = 0
        self._contacts: dict[str, WaitingContact] = {}
        self._queues: dict[str, list[tuple[tuple[int, int], str]]] = {}
        self._steps: dict[str, float] = {}
        self._reserved: dict[str, Reservation] = {}
        self._nodes: dict[str, NodeInfo] = {}

    # ---------------------------------------------------------------- agents
    async def put_agent(self, agent: SharedAgent) -> None:
        checked_id("agent id", agent.agent_id)
        self._agents[agent.agent_id] = dataclasses.replace(agent, skills=dict(agent.skills))

    async def agent(self, agent_id: str) -> SharedAgent | None:
        return self._agents.get(agent_id)

    async def agents(self) -> list[SharedAgent]:
        return [self._agents[key] for key in sorted(self._agents)]

    def _known(self, agent_id: str) -> SharedAgent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise StateStoreError(f"agent {agent_id!r}: not in the shared store")
        return agent

    async def set_presence(self, agent_id: str, presence: str, reason: str | None) -> None:
        agent = self._known(agent_id)
        self._agents[agent_id] = dataclasses.replace(agent, presence=presence, reason=reason)

    async def set_activity(self, agent_id: str, activity: str, idle_since: float | None) -> None:
        agent = self._known(agent_id)
        self._agents[agent_id] = dataclasses.replace(
            agent, activity=activity, idle_since=idle_since
        )

    async def add_to_counter(self, agent_id: str, day: str, name: str, amount: int) -> int:
        counters = self._counters.setdefault((agent_id, day), {})
        counters[name] = counters.get(name, 0) + amount
        return counters[name]

    async def counters(self, agent_id: str, day: str) -> dict[str, int]:
        return dict(self._counters.get((agent_id, day), {}))

    # ---------------------------------------------------------------- waiting contacts
    async def enqueue(
        self, contact_id: str, line_code: str, priority: int, since: float, node_id: str
    ) -> WaitingContact:
        checked_id("contact id", contact_id)
        checked_id("line code", line_code)
        checked_priority(priority)
        if contact_id in self._contacts:
            raise StateStoreError(f"contact {contact_id!r}: already waiting")
        self._seq += 1
        contact = WaitingContact(contact_id, line_code, priority, since, node_id, self._seq)
        self._contacts[contact_id] = contact
        bisect.insort(self._queues.setdefault(line_code, []), (_order(contact), contact_id))
        return contact

    async def waiting(self, line_code: str) -> list[WaitingContact]:
        return [self._contacts[cid] for _, cid in self._queues.get(line_code, [])]

    async def take(self, contact_id: str) -> WaitingContact | None:
        contact = self._contacts.pop(contact_id, None)
        if contact is None:
            return None
        queue = self._queues[contact.line_code]
        queue.remove((_order(contact), contact_id))
        if not queue:
            del self._queues[contact.line_code]
        self._steps.pop(contact_id, None)
        return contact

    async def take_next(self, line_code: str) -> WaitingContact | None:
        queue = self._queues.get(line_code)
        return None if not queue else await self.take(queue[0][1])

    # ---------------------------------------------------------------- routing-step expiries
    async def set_step_due(self, contact_id: str, due: float) -> None:
        if contact_id not in self._contacts:
            raise StateStoreError(f"contact {contact_id!r}: not waiting")
        self._steps[contact_id] = due

    async def take_due_steps(self, now: float) -> list[str]:
        due = sorted((when, cid) for cid, when in self._steps.items() if when <= now)
        for _, contact_id in due:
            del self._steps[contact_id]
        return [contact_id for _, contact_id in due]

    # ---------------------------------------------------------------- reservations
    async def reserve(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        wanted = Reservation(agent_id, contact_id, node_id)
        held = self._reserved.get(agent_id)
        if held is not None:
            return held == wanted
        self._reserved[agent_id] = wanted
        return True

    async def release(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        held = self._reserved.get(agent_id)
        if held is None or (held.contact_id, held.node_id) != (contact_id, node_id):
            return False
        del self._reserved[agent_id]
        return True

    async def reservation(self, agent_id: str) -> Reservation | None:
        return self._reserved.get(agent_id)

    # ---------------------------------------------------------------- node membership
    async def renew(self, node_id: str, now: float, calls: int, app: str = "") -> bool:
        checked_id("node id", node_id)
        old = self._nodes.get(node_id)
        started = now if old is None else old.started_at
        self._nodes[node_id] = NodeInfo(node_id, started, now, calls, 0, app)
        return old is None

    async def nodes(self) -> list[NodeInfo]:
        held: dict[str, int] = {}
        for reservation in self._reserved.values():
            held[reservation.node_id] = held.get(reservation.node_id, 0) + 1
        return [
            dataclasses.replace(self._nodes[key], reservations=held.get(key, 0))
            for key in sorted(self._nodes)
        ]

    async def leave(self, node_id: str, now: float) -> list[str]:
        self._nodes.pop(node_id, None)
        return self._release_node(node_id, now)

    async def reap(self, now: float, lease_s: float) -> dict[str, list[str]]:
        dead = sorted(n for n, info in self._nodes.items() if info.renewed_at < now - lease_s)
        return {node_id: await self.leave(node_id, now) for node_id in dead}

    def _release_node(self, node_id: str, now: float) -> list[str]:
        released = sorted(a for a, r in self._reserved.items() if r.node_id == node_id)
        for agent_id in released:
            del self._reserved[agent_id]
            agent = self._agents.get(agent_id)
            if agent is not None and agent.activity in OFFERING_ACTIVITIES:
                self._agents[agent_id] = dataclasses.replace(agent, activity="idle", idle_since=now)
        return released
