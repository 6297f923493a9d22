"""What engine nodes share, as a Protocol both stores implement.

Times are float seconds on the engine's clock (the caller passes ``now``), so tests drive
leases and step expiries on a virtual clock; nodes of one deployment keep their clocks in
step with NTP (a lease of 15 s tolerates far more skew than NTP leaves).

Every change that touches more than one key is atomic in the Redis store (one Lua script or
MULTI/EXEC): no reader sees an agent reserved without its node's record of it, a contact
taken off its line but still due to change step, or a dead node gone with reservations left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# Waiting contacts are ordered by priority (higher first) then arrival; the Redis store packs
# both into one sorted-set score, which bounds the priority.
MIN_PRIORITY = -999
MAX_PRIORITY = 999

# Activities a node sets while it offers a contact: a dead node's agents in one of these go
# back to idle when its reservations are released.
OFFERING_ACTIVITIES = frozenset({"reserved", "ringing"})


class StateStoreError(ValueError):
    """A request the store refuses: the message names what and why."""


@dataclass(frozen=True, slots=True)
class SharedAgent:
    agent_id: str
    presence: str  # "logged_out", "available", "away", ...
    activity: str  # "idle", "reserved", "ringing", "talking", "wrap_up", ...
    skills: Mapping[str, int] = field(default_factory=dict)
    reason: str | None = None  # why away, when it is
    idle_since: float | None = None


@dataclass(frozen=True, slots=True)
class WaitingContact:
    contact_id: str
    line_code: str
    priority: int
    since: float
    node_id: str  # the node whose Asterisk holds the caller
    seq: int  # arrival order, given by the store


@dataclass(frozen=True, slots=True)
class Reservation:
    agent_id: str
    contact_id: str
    node_id: str


@dataclass(frozen=True, slots=True)
class NodeInfo:
    node_id: str
    started_at: float
    renewed_at: float
    calls: int
    reservations: int
    # The ARI application (URL + app) the node's engine serves: a standby that takes the
    # application over knows whose node it replaces (acd.state.setup).
    app: str = ""

    def lease_age(self, now: float) -> float:
        return max(0.0, now - self.renewed_at)


# How many entries the agent feed keeps (about: Redis trims whole blocks).  A node reading it
# falls behind by far less; one that was away (a lost connection) loads the pool afresh.
FEED_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class AgentChange:
    """One entry of the agent feed: a node changed some fields of the agent's shared record
    (``fields``; "" means cleared), or let go of its reservation of the agent (``released``,
    no fields).  Entry ids are in the feed's order."""

    entry_id: str
    agent_id: str
    node_id: str
    fields: Mapping[str, str] = field(default_factory=dict)
    released: bool = False


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    """Every agent's shared record as strings, and the last feed entry already in them: read
    the feed after ``last_id`` and nothing is missed or seen twice."""

    last_id: str
    agents: Mapping[str, Mapping[str, str]]


def checked_priority(priority: int) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise StateStoreError(f"priority {priority!r}: must be a whole number")
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise StateStoreError(f"priority {priority}: must be from {MIN_PRIORITY} to {MAX_PRIORITY}")
    return priority


def checked_id(what: str, value: str) -> str:
    if not value or "|" in value or any(c.isspace() for c in value):
        raise StateStoreError(f"{what} {value!r}: must be non-empty, without spaces or '|'")
    return value


class StateStore(Protocol):
    # ---------------------------------------------------------------- agents
    async def put_agent(self, agent: SharedAgent) -> None:
        """Create or replace the agent's shared record."""
        ...

    async def agent(self, agent_id: str) -> SharedAgent | None: ...

    async def agents(self) -> list[SharedAgent]:
        """Every agent, by id."""
        ...

    async def set_presence(self, agent_id: str, presence: str, reason: str | None) -> None:
        """Raises StateStoreError for an unknown agent."""
        ...

    async def set_activity(self, agent_id: str, activity: str, idle_since: float | None) -> None:
        """Raises StateStoreError for an unknown agent."""
        ...

    async def add_to_counter(self, agent_id: str, day: str, name: str, amount: int) -> int:
        """Add to the agent's counter of that day (ISO date); returns the new value."""
        ...

    async def counters(self, agent_id: str, day: str) -> dict[str, int]: ...

    # ---------------------------------------------------------------- the agent feed
    async def share_agents(
        self, node_id: str, changes: Sequence[tuple[str, Mapping[str, str]]]
    ) -> list[str]:
        """For each (agent, fields): set the fields of the agent's record ("" clears one; a
        new record starts logged out, idle, without skills) and append the change to the
        feed, in one step; returns the feed entries' ids, in order."""
        ...

    async def release_announced(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        """As :meth:`release`, and a release that happened is announced in the feed."""
        ...

    async def announce_agents(self, node_id: str, agent_ids: Sequence[str]) -> None:
        """Append each agent's whole record to the feed (after :meth:`reap` changed them)."""
        ...

    async def pool_snapshot(self) -> PoolSnapshot:
        """Every agent's record and the feed's last entry id, at one moment."""
        ...

    async def agent_changes(
        self, after_id: str, *, count: int = 500, block_s: float | None = None
    ) -> list[AgentChange]:
        """Feed entries after ``after_id`` (at most ``count``); with ``block_s``, wait up
        to that long for the first if there is none yet."""
        ...

    # ---------------------------------------------------------------- waiting contacts
    async def enqueue(
        self, contact_id: str, line_code: str, priority: int, since: float, node_id: str
    ) -> WaitingContact:
        """Queue a contact behind those of its priority; StateStoreError if already queued."""
        ...

    async def waiting(self, line_code: str) -> list[WaitingContact]:
        """The line code's queue: higher priority first, then arrival order."""
        ...

    async def take(self, contact_id: str) -> WaitingContact | None:
        """Take the contact off its queue (and its step expiry): the one caller that gets it
        serves it; None if it was not waiting (taken already, or never queued)."""
        ...

    async def take_next(self, line_code: str) -> WaitingContact | None:
        """Take the head of the line code's queue, as :meth:`take`."""
        ...

    # ---------------------------------------------------------------- routing-step expiries
    async def set_step_due(self, contact_id: str, due: float) -> None:
        """When the waiting contact's routing step moves on (replaces an earlier one);
        StateStoreError if it is not waiting."""
        ...

    async def take_due_steps(self, now: float) -> list[str]:
        """Claim the contacts whose step is due at ``now``, earliest first; each is handed
        to one caller only."""
        ...

    # ---------------------------------------------------------------- reservations
    async def reserve(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        """Compare-and-set: reserve the agent if nobody holds it; True on success.  Asking
        again for the same contact and node is a success too (a node restarted within its
        lease takes its offers up again); any other holder makes it False."""
        ...

    async def release(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        """Release the agent if ``node_id`` holds it for ``contact_id`` (a late release after
        the agent was released and reserved again, even for the same contact by another node
        that took the contact over, leaves the new reservation alone)."""
        ...

    async def reservation(self, agent_id: str) -> Reservation | None: ...

    # ---------------------------------------------------------------- node membership
    async def renew(self, node_id: str, now: float, calls: int, app: str = "") -> bool:
        """Join (first time) or renew the node's lease, with its number of calls and the ARI
        application it serves; True if the node was not a member (it joins anew: first
        start, reaped meanwhile, or a Redis that came back empty)."""
        ...

    async def nodes(self) -> list[NodeInfo]:
        """The members, by id."""
        ...

    async def leave(self, node_id: str, now: float) -> list[str]:
        """A node stopping on purpose: as :meth:`reap` for that node alone."""
        ...

    async def reap(self, now: float, lease_s: float) -> dict[str, list[str]]:
        """Drop every node whose lease is older than ``lease_s`` and release its
        reservations; its agents left reserved or ringing go back to idle (idle since
        ``now``).  Returns node id -> agents released."""
        ...
