"""The router: which waiting contact goes to which free agent, decided incrementally.

Pure and synchronous: no I/O, no clock of its own (``now`` is passed in, float seconds on the
engine's one clock), not thread-safe.  The engine tells it what changed (agents free or busy,
logged in or out, contacts added, requeued or removed) and calls :meth:`Router.match` after
each event; ``match`` returns the offers to make, each already reserved.

What a decision means (the brute-force :class:`skills.reference.BruteForceRouter` is the
executable form of this paragraph, and the property tests hold the two to the same answers):
repeatedly take the best waiting contact (priority, weighted wait, place) that some free agent
may take at the contact's current step, and give it the best such agent under its line code's
policy; reserve; repeat until no such pair is left.  So after every ``match`` no free agent
and waiting contact that fit each other are left apart (no stuck queue).

How it stays cheap: since the last ``match`` the only new pairs can involve what changed, so
``match`` looks only at *fresh* items.  A fresh contact asks the free-agent index for its best
agent; a fresh agent asks the waiting-contact index for the best contact it may take and
*proposes* it.  Proposals are processed best contact first; a contact then takes its best agent
(perhaps not the proposer), and a proposer left free proposes again.  Each question peeks at
a few heap tops (see :mod:`skills.indexes`): no decision scans all contacts or all agents.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from foundation.errors import InvalidRoutingTransition, UnknownRoutingAgent, UnknownRoutingContact
from skills.index_view import IndexView
from skills.indexes import Deadlines, FreeAgents, LoggedInCounts, WaitingContacts
from skills.model import AgentStats, Match, RoutingConfig, checked_skills
from skills.ordering import QueueKey
from skills.reservations import InMemoryReservations, Reservations
from skills.steps import Admission, Plans, StepPlan

# (the contact's queue key, contact id, proposing agent id or "" for a fresh contact)
_Proposal = tuple[QueueKey, str, str]


class AgentAvailability(Enum):
    """Whether the router may offer the agent a contact: a summary of the engine's richer
    ``AgentState``, named apart from it."""

    BUSY = "busy"  # not offerable: reserved, ringing, on a call, wrap-up, away, logged out
    DELAYED = "delayed"  # free from ``not_before`` on (after a missed, busy or rejected offer)
    FREE = "free"


_NO_STATS = AgentStats(idle_since=0.0)  # replaced by the engine's at the first agent_free


@dataclass(slots=True)
class _Agent:
    skills: dict[str, int]
    logged_in: bool = False
    state: AgentAvailability = AgentAvailability.BUSY
    stats: AgentStats = _NO_STATS
    not_before: float | None = None
    holds: str | None = None  # the contact this router reserved the agent for


@dataclass(slots=True)
class _Contact:
    plan: StepPlan
    own_priority: int
    waiting_since: float
    seq: int  # arrival order: ties on waiting_since go to the earlier arrival
    offered: bool = False
    time_step: int = 0
    step: int = 0
    next_start: float | None = None  # when the time step next moves on, while waiting


@dataclass(slots=True)
class _Line:
    """A line code with waiting contacts: which step each time step leads to, given who is
    logged in now, and its waiting contacts grouped by time step (to re-step them)."""

    plan: StepPlan
    open_from: tuple[int, ...]
    by_time_step: list[set[str]]
    waiting: int = 0


class Router:
    def __init__(self, config: RoutingConfig, reservations: Reservations | None = None) -> None:
        self._plans = Plans(config)
        self._reservations = reservations if reservations is not None else InMemoryReservations()
        self._agents: dict[str, _Agent] = {}
        self._contacts: dict[str, _Contact] = {}
        self._lines: dict[str, _Line] = {}
        self._free = FreeAgents(self._plans)
        self._waiting = WaitingContacts()
        self._logged_in = LoggedInCounts()
        self._watchers: dict[Admission, set[str]] = {}  # admission -> active line codes
        self._step_starts = Deadlines(self._step_start_current)
        self._delays = Deadlines(self._delay_current)
        self._seq = itertools.count()
        self._fresh_agents: dict[str, None] = {}  # dicts as ordered sets
        self._fresh_contacts: dict[str, None] = {}

    # ------------------------------------------------------------------ agents

    def set_agent(self, agent_id: str, skills: Mapping[str, int]) -> None:
        """Register an agent (logged out, busy) or change its skills."""
        new_skills = checked_skills(skills)
        agent = self._agents.get(agent_id)
        if agent is None:
            self._agents[agent_id] = _Agent(new_skills)
            return
        old_skills, agent.skills = agent.skills, new_skills
        if agent.logged_in:
            self._restep(self._logged_in.change(old_skills, new_skills))
        if agent.state is AgentAvailability.FREE:
            self._make_free(agent_id, agent)

    def remove_agent(self, agent_id: str) -> None:
        """Forget an agent (removed from the configuration); logs it out first."""
        self.set_logged_in(agent_id, False)
        del self._agents[agent_id]

    def set_logged_in(self, agent_id: str, logged_in: bool) -> None:
        """Presence: only logged-in agents count for ``skip_if_no_agents``.  Logging out also
        makes the agent busy and drops the reservation this router holds for it."""
        agent = self._agent(agent_id)
        if agent.logged_in == logged_in:
            return
        if not logged_in:
            self._make_busy(agent_id, agent)
            self._release(agent_id, agent)
        agent.logged_in = logged_in
        empty: dict[str, int] = {}
        old, new = (empty, agent.skills) if logged_in else (agent.skills, empty)
        self._restep(self._logged_in.change(old, new))

    def agent_free(
        self, agent_id: str, now: float, stats: AgentStats, not_before: float | None = None
    ) -> None:
        """The agent may be offered contacts (from ``not_before`` on, if later than now).
        Ends the reservation this router holds for it; calling it again updates the stats."""
        agent = self._agent(agent_id)
        if not agent.logged_in:
            raise InvalidRoutingTransition(f"agent {agent_id!r} is logged out: log it in first")
        self._release(agent_id, agent)
        self._make_busy(agent_id, agent)
        agent.stats = stats
        if not_before is not None and not_before > now:
            agent.state = AgentAvailability.DELAYED
            agent.not_before = not_before
            self._delays.push(not_before, agent_id)
        else:
            self._make_free(agent_id, agent)

    def agent_busy(self, agent_id: str) -> None:
        """No longer offerable (a reservation it holds stays until agent_free or logout)."""
        self._make_busy(agent_id, self._agent(agent_id))

    def availability(self, agent_id: str) -> AgentAvailability:
        """Whether the router may offer the agent now (BUSY after a lost race, too)."""
        return self._agent(agent_id).state

    def holds(self, agent_id: str) -> str | None:
        """The contact this router reserved the agent for, if any."""
        return self._agent(agent_id).holds

    def _agent(self, agent_id: str) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownRoutingAgent(agent_id)
        return agent

    def _make_free(self, agent_id: str, agent: _Agent) -> None:
        agent.state = AgentAvailability.FREE
        agent.not_before = None
        self._free.add(agent_id, agent.skills, agent.stats)
        self._fresh_agents[agent_id] = None

    def _make_busy(self, agent_id: str, agent: _Agent) -> None:
        if agent.state is AgentAvailability.FREE:
            self._free.remove(agent_id)
            self._fresh_agents.pop(agent_id, None)
        agent.state = AgentAvailability.BUSY
        agent.not_before = None

    def _release(self, agent_id: str, agent: _Agent) -> None:
        if agent.holds is not None:
            agent.holds = None
            self._reservations.release(agent_id)

    def _delay_current(self, agent_id: str, when: float) -> bool:
        agent = self._agents.get(agent_id)
        return agent is not None and agent.not_before == when

    # ------------------------------------------------------------------ contacts

    def add_contact(
        self,
        contact_id: str,
        line_code: str,
        now: float,
        *,
        priority: int = 0,
        waiting_since: float | None = None,
    ) -> None:
        """Queue a contact.  ``waiting_since`` (default now) is its wait clock and, with its
        arrival sequence, its place: pass the original one to re-queue without losing it."""
        if contact_id in self._contacts:
            raise InvalidRoutingTransition(f"contact {contact_id!r} is already routed")
        since = now if waiting_since is None else waiting_since
        plan = self._plans.for_line_code(line_code)
        contact = _Contact(plan, priority, since, next(self._seq))
        self._contacts[contact_id] = contact
        self._enqueue(contact_id, contact, plan.time_step(since, now))

    def add_offered(
        self,
        contact_id: str,
        line_code: str,
        agent_id: str,
        now: float,
        *,
        priority: int = 0,
        waiting_since: float | None = None,
    ) -> None:
        """A contact already offered to ``agent_id`` (an offer that outlived an engine restart):
        known, not waiting, the agent reserved for it, as if :meth:`match` had just offered it.
        If the offer fails, :meth:`requeue` puts it back at its place."""
        agent = self._agent(agent_id)
        if agent.holds is not None:
            raise InvalidRoutingTransition(f"agent {agent_id!r} is reserved for {agent.holds!r}")
        if not self._reservations.try_reserve(agent_id, contact_id):
            raise InvalidRoutingTransition(f"agent {agent_id!r} is reserved elsewhere")
        self.add_contact(contact_id, line_code, now, priority=priority, waiting_since=waiting_since)
        contact = self._contacts[contact_id]
        self._make_busy(agent_id, agent)
        agent.holds = contact_id
        self._dequeue(contact_id, contact)
        contact.offered = True

    def requeue(self, contact_id: str, now: float) -> None:
        """An offer failed: the contact waits again with its place and wait clock, at the step
        its waiting time now implies."""
        contact = self._contact(contact_id)
        if not contact.offered:
            raise InvalidRoutingTransition(f"contact {contact_id!r} is waiting, not offered")
        contact.offered = False
        time_step = contact.plan.time_step(contact.waiting_since, now)
        self._enqueue(contact_id, contact, max(time_step, contact.time_step))

    def remove_contact(self, contact_id: str) -> None:
        """Abandoned or answered (also while offered: the agent stays reserved until freed)."""
        contact = self._contact(contact_id)
        if not contact.offered:
            self._dequeue(contact_id, contact)
        del self._contacts[contact_id]

    def _contact(self, contact_id: str) -> _Contact:
        contact = self._contacts.get(contact_id)
        if contact is None:
            raise UnknownRoutingContact(contact_id)
        return contact

    def _enqueue(self, contact_id: str, contact: _Contact, time_step: int) -> None:
        line = self._activate(contact.plan)
        line.waiting += 1
        line.by_time_step[time_step].add(contact_id)
        contact.time_step = time_step
        self._index(contact_id, contact, line.open_from[time_step])
        self._schedule_next_step(contact_id, contact)

    def _dequeue(self, contact_id: str, contact: _Contact) -> None:
        line = self._lines[contact.plan.line_code]
        line.by_time_step[contact.time_step].discard(contact_id)
        line.waiting -= 1
        if line.waiting == 0:
            self._deactivate(line)
        self._waiting.remove(contact_id)
        self._fresh_contacts.pop(contact_id, None)
        contact.next_start = None

    def _index(self, contact_id: str, contact: _Contact, step: int) -> None:
        plan = contact.plan
        contact.step = step
        self._waiting.add(
            contact_id,
            plan.admissions[step],
            plan.weight,
            plan.priority(contact.own_priority, step),
            contact.waiting_since,
            contact.seq,
        )
        self._fresh_contacts[contact_id] = None

    def _schedule_next_step(self, contact_id: str, contact: _Contact) -> None:
        contact.next_start = contact.plan.next_start(contact.waiting_since, contact.time_step)
        if contact.next_start is not None:
            self._step_starts.push(contact.next_start, contact_id)

    def _step_start_current(self, contact_id: str, when: float) -> bool:
        contact = self._contacts.get(contact_id)
        return contact is not None and contact.next_start == when

    # ------------------------------------------------------------------ steps and skipping

    def _activate(self, plan: StepPlan) -> _Line:
        line = self._lines.get(plan.line_code)
        if line is None:
            by_time_step: list[set[str]] = [set() for _ in plan.offsets]
            line = _Line(plan, plan.open_from(self._logged_in.any), by_time_step)
            self._lines[plan.line_code] = line
            for admission in plan.watch:
                self._watchers.setdefault(admission, set()).add(plan.line_code)
        return line

    def _deactivate(self, line: _Line) -> None:
        # Only line codes with waiting contacts are watched, so a login that changes what
        # may be skipped costs O(line codes with contacts that care), never O(all line codes).
        plan = line.plan
        for admission in plan.watch:
            watchers = self._watchers[admission]
            watchers.discard(plan.line_code)
            if not watchers:
                del self._watchers[admission]
        del self._lines[plan.line_code]

    def _restep(self, flipped: set[Admission]) -> None:
        """Some admission now has its first, or lost its last, logged-in agent: contacts of
        line codes that watch it may move to another step."""
        line_codes = {code for adm in flipped for code in self._watchers.get(adm, ())}
        for line_code in line_codes:
            line = self._lines[line_code]
            open_from = line.plan.open_from(self._logged_in.any)
            changed = [t for t, step in enumerate(open_from) if step != line.open_from[t]]
            line.open_from = open_from
            for time_step in changed:
                for contact_id in line.by_time_step[time_step]:
                    self._index(contact_id, self._contacts[contact_id], open_from[time_step])

    def advance(self, now: float) -> None:
        """Apply what is due by ``now``: delayed agents become free, contacts move on a step."""
        for agent_id in self._delays.pop_due(now):
            self._make_free(agent_id, self._agents[agent_id])
        for contact_id in self._step_starts.pop_due(now):
            self._time_passes(contact_id, self._contacts[contact_id], now)

    def _time_passes(self, contact_id: str, contact: _Contact, now: float) -> None:
        line = self._lines[contact.plan.line_code]
        line.by_time_step[contact.time_step].discard(contact_id)
        contact.time_step = contact.plan.time_step(contact.waiting_since, now)
        line.by_time_step[contact.time_step].add(contact_id)
        step = line.open_from[contact.time_step]
        if step != contact.step:
            self._index(contact_id, contact, step)
        self._schedule_next_step(contact_id, contact)

    def next_deadline(self) -> float | None:
        """The next time :meth:`advance` would change something (the engine's one timer)."""
        step_start, delay_end = self._step_starts.next(), self._delays.next()
        if step_start is None or delay_end is None:
            return delay_end if step_start is None else step_start
        return min(step_start, delay_end)

    # ------------------------------------------------------------------ decisions

    def match(self, now: float) -> list[Match]:
        """Advance to ``now``, then make every offer possible now; each is reserved."""
        self.advance(now)
        if not self._free:
            # Every offer needs a free agent: with a long queue this is the common case.
            self._fresh_contacts.clear()
            return []
        proposals = self._fresh_proposals(now)
        matches: list[Match] = []
        while proposals:
            _, contact_id, proposer = heapq.heappop(proposals)
            waiting = self._contacts.get(contact_id)
            if waiting is not None and not waiting.offered:
                offer = self._offer(contact_id, waiting)
                if offer is not None:
                    matches.append(offer)
            if proposer and proposer in self._free:
                # Its proposal went to another agent (or was just taken): it tries again.
                self._propose(proposer, now, proposals)
        return matches

    def _fresh_proposals(self, now: float) -> list[_Proposal]:
        """Every contact and agent changed since the last match, as proposals; then forget
        them: only what changed can form a new pair."""
        proposals = [
            (self._queue_key(self._contacts[contact_id], now), contact_id, "")
            for contact_id in self._fresh_contacts
        ]
        heapq.heapify(proposals)
        fresh_agents = list(self._fresh_agents)
        self._fresh_contacts.clear()
        self._fresh_agents.clear()
        for agent_id in fresh_agents:
            self._propose(agent_id, now, proposals)
        return proposals

    def _queue_key(self, contact: _Contact, now: float) -> QueueKey:
        plan = contact.plan
        priority = plan.priority(contact.own_priority, contact.step)
        weighted_wait = (now - contact.waiting_since) * plan.weight
        return (-priority, -weighted_wait, contact.waiting_since, contact.seq)

    def _propose(self, agent_id: str, now: float, proposals: list[_Proposal]) -> None:
        best = self._waiting.best_for(self._agents[agent_id].skills, now)
        if best is not None:
            heapq.heappush(proposals, (best[0], best[1], agent_id))

    def _offer(self, contact_id: str, contact: _Contact) -> Match | None:
        plan = contact.plan
        admissions = plan.admissions[contact.step]
        while True:
            best = self._free.best(admissions, plan.policy, plan.line_code)
            if best is None:
                return None
            rank, agent_id, _, via = best
            agent = self._agents[agent_id]
            if self._reservations.try_reserve(agent_id, contact_id):
                break
            # Lost the race (another node holds it): not free here until agent_free says so.
            self._make_busy(agent_id, agent)
        self._make_busy(agent_id, agent)
        agent.holds = contact_id
        self._dequeue(contact_id, contact)
        contact.offered = True
        return Match(
            contact_id=contact_id,
            agent_id=agent_id,
            line_code=plan.line_code,
            via_line_code=via,
            step_index=contact.step,
            policy=plan.policy,
            rank=rank,
            priority=plan.priority(contact.own_priority, contact.step),
        )

    # ------------------------------------------------------------------ visibility

    def contact_step(self, contact_id: str, now: float) -> tuple[int, float | None]:
        """The contact's step at ``now`` and the time its step next changes (None if it
        never will), both as things stand: a login or logout may change either.  A step
        being skipped is not a change: a contact skipped to its fallback step at once gets
        that step and the time the one after it starts.  Changes nothing."""
        contact = self._contact(contact_id)
        plan = contact.plan
        time_step = max(contact.time_step, plan.time_step(contact.waiting_since, now))
        line = self._lines.get(plan.line_code)
        open_from = line.open_from if line is not None else plan.open_from(self._logged_in.any)
        return open_from[time_step], plan.next_change(contact.waiting_since, time_step, open_from)

    def index_view(self) -> IndexView:
        """What the indexes hold (O(size): for tests and debugging, not the hot path)."""
        return IndexView(
            free=self._free.view(),
            waiting=self._waiting.view(),
            steps={
                contact_id: (contact.time_step, contact.step)
                for contact_id, contact in self._contacts.items()
                if not contact.offered
            },
            logged_in=self._logged_in.view(),
            delayed=frozenset(
                agent_id
                for agent_id, agent in self._agents.items()
                if agent.state is AgentAvailability.DELAYED
            ),
        )

    def stats(self) -> dict[str, int]:
        """Sizes, for gauges and the benchmarks (O(heaps), not O(contacts))."""
        return {
            "agents": len(self._agents),
            "agents_free": len(self._free),
            "contacts_waiting": len(self._waiting),
            "contacts_offered": len(self._contacts) - len(self._waiting),
            "line_codes_waiting": len(self._lines),
            "index_entries": self._free.entry_count() + self._waiting.entry_count(),
            "deadlines": len(self._step_starts) + len(self._delays),
        }
