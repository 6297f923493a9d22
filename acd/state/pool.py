"""The shared agent pool: every node's agent book is a replica of one pool in the state store.

An agent logs in through one node's API and may be offered by any node.  Each node keeps its
own agent book (the router stays in memory, pure and fast) and:

- **publishes** its own changes: a sink of the node's agent events that writes what changed
  (presence with reason, activity with idle-since, the day's counters) to the agent's shared
  record and the agent feed, one script per change (:meth:`StateStore.share_agents`), in
  order, in the background: the loop never waits for it;
- **follows** the others: a background task reads the feed (a Redis Stream, ``XREAD BLOCK``)
  and hands each change to the core as :class:`~acd.engine.inputs.AgentShared`;
- **loads** the whole pool from the store when it starts and after every lost connection
  (streams would replay a short gap, but a snapshot is right after any gap).

Which change wins: the feed is one order that every node reads.  A node applies another's
change to a part of an agent (presence, activity or counters) only when it has no change of
its own to that part still unread in the feed: one it has not yet seen come back comes later
in the feed, so it wins there too.  Every node thus ends with the feed's last change to each
part.  The reservation compare-and-set stays the arbiter of who offers an agent: a node that
loses a race treats the agent as busy until the feed says the holder let go.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

from acd.engine import inputs as inp
from acd.state.model import AgentChange, PoolSnapshot, StateStore
from acd.state.reservations import RedisReservations
from foundation.contact import (
    Activity,
    AgentEvent,
    AgentRecord,
    ContactEvent,
    ContactEventSink,
    Presence,
)

log = logging.getLogger(__name__)

# The parts of an agent's record, each changed as a whole; the first field names the part.
PRESENCE = ("presence", "reason", "presence_since")
ACTIVITY = ("activity", "idle_since", "activity_node")
COUNTERS = ("contacts_today", "stats_day", "talk_time_today_s", "missed_in_a_row")
PARTS = {"presence": PRESENCE, "activity": ACTIVITY, "counters": COUNTERS}
# Who changes the pool when a node's lease ran out: the live node that reaped it, under a
# name no node can have (node ids are identifiers), so every node applies it.
REAPER = "reaper:"
RESTORER = "restore:"  # the node id of a restore after a rejoin (restore_missing)

_BATCH = 200


def _stamp(moment: datetime | None) -> str:
    return "" if moment is None else repr(moment.timestamp())


def _moment(text: str | None) -> datetime | None:
    return None if not text else datetime.fromtimestamp(float(text), UTC)


class SharedPool:
    def __init__(
        self,
        store: StateStore,
        node_id: str,
        submit: Callable[[inp.Input], None],
        skills: Mapping[str, Mapping[str, int]],
        *,
        reservations: RedisReservations | None = None,
        block_s: float = 5.0,
        retry_s: float = 1.0,
    ) -> None:
        """``submit`` hands an input to the engine core; ``skills``: the configured agents
        and their line codes with proficiency (written with an agent's first change)."""
        self.store = store
        self.node_id = node_id
        self._submit = submit
        self._skills = {agent: dict(codes) for agent, codes in skills.items()}
        self._reservations = reservations
        self._block_s = block_s
        self._retry_s = retry_s
        self._published: dict[str, dict[str, tuple[str, ...]]] = {}
        # (agent, part) -> this node's changes not yet read back from the feed.
        self._pending: dict[tuple[str, str], int] = {}
        self._queue: list[tuple[str, dict[str, str]]] = []
        self._wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._after = "0-0"
        self._failing: set[str] = set()
        self.applied = 0  # other nodes' changes applied here (for tests and the bench)

    # ------------------------------------------------------------------ publishing (a sink)

    def contact_event(self, event: ContactEvent) -> None:
        return None

    def agent_event(self, event: AgentEvent) -> None:
        if event.remote:
            return
        record = event.record
        parts = {
            "presence": _presence_part(record),
            "activity": (event.activity.value, _stamp(record.idle_since), self.node_id),
            "counters": _counters_part(record),
        }
        last = self._published.get(event.agent_id)
        fields: dict[str, str] = {}
        if last is None:
            last = self._published[event.agent_id] = {}
            fields["skills"] = json.dumps(self._skills.get(event.agent_id, {}), sort_keys=True)
        for part, values in parts.items():
            if last.get(part) != values:
                last[part] = values
                fields.update(zip(PARTS[part], values, strict=True))
                key = (event.agent_id, part)
                self._pending[key] = self._pending.get(key, 0) + 1
        if fields:
            self._queue.append((event.agent_id, fields))
            self._wanted.set()

    # ------------------------------------------------------------------ loading

    async def load(self) -> PoolSnapshot:
        """The pool as the store holds it (at start, before :meth:`apply`)."""
        return await self.store.pool_snapshot()

    def apply(self, snapshot: PoolSnapshot, *, starting: bool = False) -> None:
        """Bring this replica to the snapshot and read the feed after it.  ``starting``:
        this node's own offers of before a restart are not taken from the store (the
        recovery from ARI takes up the calls that are still there)."""
        for agent_id, fields in snapshot.agents.items():
            if starting and fields.get("activity_node") == self.node_id:
                fields = {k: v for k, v in fields.items() if k not in ACTIVITY}
            self._apply(agent_id, fields, released=True)
        self._after = snapshot.last_id

    def known(self, snapshot: PoolSnapshot) -> frozenset[str]:
        """The agents the snapshot has a record of (the others are restored from SQL)."""
        return frozenset(snapshot.agents)

    # ------------------------------------------------------------------ following

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._writing(), name=f"pool-writer-{self.node_id}"),
            asyncio.create_task(self._reading(), name=f"pool-reader-{self.node_id}"),
        ]

    async def stop(self) -> None:
        """Write what is queued (as long as the store answers), then stop reading."""
        if self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.flush(), 5.0)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def flush(self) -> None:
        """Wait until every change made so far is in the store."""
        while self._queue:  # noqa: ASYNC110 (the writer task empties it)
            await asyncio.sleep(0.01)

    async def _writing(self) -> None:
        while True:
            await self._wanted.wait()
            # One turn of the loop: the changes of every input handled in it go together.
            await asyncio.sleep(0)
            self._wanted.clear()
            while self._queue:
                try:
                    await self.write_queued()
                except Exception as error:
                    self._trouble("write", error)
                    await asyncio.sleep(self._retry_s)
                    continue
                self._recovered("write")

    async def write_queued(self, limit: int = _BATCH) -> int:
        """Write up to ``limit`` of this node's queued changes, in order; how many.  Raises
        what the store raises (nothing is dropped: the same changes go next time)."""
        batch = self._queue[:limit]
        if batch:
            await self.store.share_agents(self.node_id, batch)
            del self._queue[: len(batch)]
        return len(batch)

    async def _reading(self) -> None:
        resync = False
        while True:
            try:
                if resync:
                    snapshot = await self.store.pool_snapshot()
                    self.apply(snapshot)
                    resync = False
                await self.read_feed(block_s=self._block_s)
            except Exception as error:
                self._trouble("read", error)
                resync = True  # whatever was missed meanwhile: load the pool again
                await asyncio.sleep(self._retry_s)
                continue
            self._recovered("read")
            if self._reservations is not None:
                self._reservations.retry_failed()  # nothing to do while nothing failed
                # Agents taken for busy while Redis failed a reservation: offered again.
                resync = self._reservations.take_recovery()

    async def read_feed(self, *, block_s: float | None = None, count: int = 500) -> int:
        """Read and apply the feed's next entries (waiting up to ``block_s`` for one); how
        many."""
        changes = await self.store.agent_changes(self._after, count=count, block_s=block_s)
        for change in changes:
            self._take(change)
            self._after = change.entry_id
        return len(changes)

    def _take(self, change: AgentChange) -> None:
        if change.node_id != self.node_id:
            self._apply(change.agent_id, change.fields, released=change.released)
            return
        for part, names in PARTS.items():  # our own change, read back
            key = (change.agent_id, part)
            if names[0] in change.fields and self._pending.get(key, 0) > 0:
                self._pending[key] -= 1
                if not self._pending[key]:
                    del self._pending[key]

    def _apply(self, agent_id: str, fields: Mapping[str, str], *, released: bool) -> None:
        try:
            shared = self._parsed(agent_id, fields, released=released)
        except (KeyError, ValueError) as error:
            # Written by something else than a node of this version: said, and skipped (a
            # reader stuck on it would stop following every other agent).
            log.warning(
                "node %s: agent %s's shared change %r skipped: %r",
                self.node_id,
                agent_id,
                dict(fields),
                error,
            )
            return
        if shared is not None:
            self.applied += 1
            self._submit(shared)

    def _parsed(
        self, agent_id: str, fields: Mapping[str, str], *, released: bool
    ) -> inp.AgentShared | None:
        published = self._published.get(agent_id, {})

        def part(name: str) -> bool:
            first = PARTS[name][0]
            if first not in fields or self._pending.get((agent_id, name)):
                return False
            # What this node published last is no longer what the pool holds: its next
            # change of that part must be written even if it equals that (lunch here, then
            # available from another node, then lunch here again).
            published.pop(name, None)
            return True

        presence = activity = counters = None
        if part("presence"):
            presence = inp.SharedPresence(
                Presence(fields["presence"]),
                fields.get("reason") or None,
                _moment(fields.get("presence_since")),
            )
        if part("activity"):
            activity = inp.SharedActivity(
                Activity(fields["activity"]), _moment(fields.get("idle_since"))
            )
        if part("counters"):
            day = fields.get("stats_day")
            counters = inp.SharedCounters(
                date.fromisoformat(day) if day else None,
                int(fields["contacts_today"]),
                float(fields.get("talk_time_today_s") or 0.0),
                int(fields.get("missed_in_a_row") or 0),
            )
        if presence is None and activity is None and counters is None and not released:
            return None
        return inp.AgentShared(agent_id, presence, activity, counters, released)

    # ------------------------------------------------------------------ after a rejoin

    async def restore_missing(
        self, load_stored: Callable[[], Awaitable[Sequence[AgentRecord]]]
    ) -> list[str]:
        """After this node rejoined: the configured agents the store has no record of (a
        Redis that came back empty) are written again from SQL's ``agent_states``, as at
        start: presence with reason, the day's counters, skills.  Not activity: an agent
        talking on another node must not look idle before that node has reasserted its
        reservation (its replica and the reservation say what the agent does; this node's
        next change of an agent of its own writes every part again).  Returns the agents."""
        snapshot = await self.store.pool_snapshot()
        missing = sorted(set(self._skills) - set(snapshot.agents))
        if not missing:
            return []
        stored = {record.agent_id: record for record in await load_stored()}
        changes = []
        for agent_id in missing:
            self._published.pop(agent_id, None)
            fields = {"skills": json.dumps(self._skills[agent_id], sort_keys=True)}
            record = stored.get(agent_id)
            if record is not None:
                fields.update(zip(PARTS["presence"], _presence_part(record), strict=True))
                fields.update(zip(PARTS["counters"], _counters_part(record), strict=True))
            changes.append((agent_id, fields))
        # Under a name of its own, so every node (this one too) applies it from the feed.
        await self.store.share_agents(RESTORER + self.node_id, changes)
        log.warning(
            "node %s: the shared pool had lost %d agent(s); restored from SQL: %s",
            self.node_id,
            len(missing),
            ", ".join(missing),
        )
        return missing

    # ------------------------------------------------------------------ after a reap

    async def announce(self, agent_ids: Iterable[str]) -> None:
        """Agents a reap set back to idle: every node (this one too) learns it from the feed."""
        await self.store.announce_agents(REAPER + self.node_id, sorted(agent_ids))

    # ------------------------------------------------------------------ trouble, said once

    def _trouble(self, what: str, error: Exception) -> None:
        if what not in self._failing:
            log.error("node %s: cannot %s the shared agent pool: %s", self.node_id, what, error)
        self._failing.add(what)

    def _recovered(self, what: str) -> bool:
        if what in self._failing:
            self._failing.discard(what)
            log.warning("node %s: the shared agent pool answers again (%s)", self.node_id, what)
            return True
        return False


class LocalAgentEvents:
    """A sink that passes on contact events and this node's own agent events only: another
    node's change to a shared agent is stored by that node (several nodes)."""

    def __init__(self, sink: ContactEventSink) -> None:
        self._sink = sink

    def contact_event(self, event: ContactEvent) -> None:
        self._sink.contact_event(event)

    def agent_event(self, event: AgentEvent) -> None:
        if not event.remote:
            self._sink.agent_event(event)


def _presence_part(record: AgentRecord) -> tuple[str, ...]:
    return (record.presence.value, record.reason or "", _stamp(record.presence_since))


def _counters_part(record: AgentRecord) -> tuple[str, ...]:
    return (
        str(record.contacts_today),
        record.stats_day.isoformat() if record.stats_day else "",
        repr(float(record.talk_time_today_s)),
        str(record.missed_in_a_row),
    )
