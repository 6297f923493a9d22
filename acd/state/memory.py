"""The single-node store: dicts, atomic because a node runs one event loop (no method awaits
anything before it has finished its change)."""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import json
from collections.abc import Mapping, Sequence

from acd.state.model import (
    FEED_LENGTH,
    OFFERING_ACTIVITIES,
    AgentChange,
    NodeInfo,
    PoolSnapshot,
    Reservation,
    SharedAgent,
    StateStoreError,
    WaitingContact,
    checked_id,
    checked_priority,
)

# The fields of SharedAgent in the store's record; every other field is kept as a string.
_RECORD_FIELDS = frozenset({"presence", "activity", "skills", "reason", "idle_since"})


def _parsed(name: str, value: str) -> object:
    if name == "skills":
        return json.loads(value) if value else {}
    if name == "idle_since":
        return float(value) if value else None
    if name == "reason":
        return value or None
    return value


def _seq_of(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


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
        # The agent feed, and each agent's fields beyond SharedAgent's (as strings).
        self._feed: list[AgentChange] = []
        self._feed_seq = 0
        self._fed = asyncio.Condition()
        self._extra: dict[str, dict[str, str]] = {}

    # ---------------------------------------------------------------- agents
    async def put_agent(self, agent: SharedAgent) -> None:
        checked_id("agent id", agent.agent_id)
        self._agents[agent.agent_id] = dataclasses.replace(agent, skills=dict(agent.skills))
        self._extra.pop(agent.agent_id, None)

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

    # ---------------------------------------------------------------- the agent feed
    async def share_agents(
        self, node_id: str, changes: Sequence[tuple[str, Mapping[str, str]]]
    ) -> list[str]:
        checked_id("node id", node_id)
        ids = []
        for agent_id, fields in changes:
            checked_id("agent id", agent_id)
            agent = self._agents.get(agent_id) or SharedAgent(agent_id, "logged_out", "idle")
            extra = self._extra.setdefault(agent_id, {})
            known: dict[str, object] = {}
            for name, value in fields.items():
                if name in _RECORD_FIELDS:
                    known[name] = _parsed(name, value)
                elif value == "":
                    extra.pop(name, None)
                else:
                    extra[name] = value
            self._agents[agent_id] = dataclasses.replace(agent, **known)  # type: ignore[arg-type]
            ids.append(self._append(AgentChange("", agent_id, node_id, dict(fields))))
        self._wake()
        return ids

    def _append(self, change: AgentChange) -> str:
        self._feed_seq += 1
        entry_id = f"{self._feed_seq}-0"
        self._feed.append(dataclasses.replace(change, entry_id=entry_id))
        if len(self._feed) > FEED_LENGTH:
            del self._feed[: len(self._feed) - FEED_LENGTH]
        return entry_id

    def _wake(self) -> None:
        async def notify() -> None:
            async with self._fed:
                self._fed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def release_announced(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        if not await self.release(agent_id, contact_id, node_id):
            return False
        self._append(AgentChange("", agent_id, node_id, released=True))
        self._wake()
        return True

    async def announce_agents(self, node_id: str, agent_ids: Sequence[str]) -> None:
        for agent_id in agent_ids:
            fields = self._record(agent_id)
            if fields is not None:
                self._append(AgentChange("", agent_id, node_id, fields))
        self._wake()

    def _record(self, agent_id: str) -> dict[str, str] | None:
        """The agent's record as the Redis store holds it: every field a string."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return None
        fields = {
            "presence": agent.presence,
            "activity": agent.activity,
            "skills": json.dumps(dict(agent.skills), sort_keys=True),
        }
        if agent.reason is not None:
            fields["reason"] = agent.reason
        if agent.idle_since is not None:
            fields["idle_since"] = repr(float(agent.idle_since))
        return fields | self._extra.get(agent_id, {})

    async def pool_snapshot(self) -> PoolSnapshot:
        last = self._feed[-1].entry_id if self._feed else "0-0"
        records = {a: self._record(a) for a in sorted(self._agents)}
        return PoolSnapshot(last, {a: r for a, r in records.items() if r is not None})

    async def agent_changes(
        self, after_id: str, *, count: int = 500, block_s: float | None = None
    ) -> list[AgentChange]:
        after = _seq_of(after_id)
        found = self._after(after, count)
        if found or block_s is None:
            return found
        async with self._fed:
            try:
                await asyncio.wait_for(
                    self._fed.wait_for(lambda: bool(self._after(after, 1))), block_s
                )
            except TimeoutError:
                return []
        return self._after(after, count)

    def _after(self, after: int, count: int) -> list[AgentChange]:
        # Ids count up without gaps, so the first entry after ``after`` is found by offset.
        if not self._feed:
            return []
        start = max(0, after - _seq_of(self._feed[0].entry_id) + 1)
        return self._feed[start : start + count]

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
