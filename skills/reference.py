"""The brute-force reference router: the same public API as :class:`skills.router.Router`,
deciding by full scans and keeping no index at all.

It is the executable definition of a routing decision, written to be obviously right rather
than fast: the property tests use it as the oracle (same decisions, same index contents
recomputed from scratch) and the benchmarks as the baseline.  Each ``match`` sorts every
waiting contact and, for each in turn, scans every free agent: O(C log C + C x A).

It shares with the router only the definitions that are the specification itself: the step
arithmetic (:mod:`skills.steps`), the ranking keys (:mod:`skills.policies`) and the two orders
(:mod:`skills.ordering`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from foundation.errors import InvalidRoutingTransition, UnknownRoutingAgent, UnknownRoutingContact
from skills.index_view import IndexView
from skills.model import MAX_LEVEL, AgentStats, Match, Policy, RoutingConfig, checked_skills
from skills.ordering import ChoiceKey, choice_key, queue_key
from skills.policies import rank
from skills.reservations import InMemoryReservations, Reservations
from skills.steps import Admission, Plans, StepPlan

_BUSY, _DELAYED, _FREE = "busy", "delayed", "free"


@dataclass(slots=True)
class _Agent:
    skills: dict[str, int]
    logged_in: bool = False
    state: str = _BUSY
    stats: AgentStats = AgentStats(idle_since=0.0)  # noqa: RUF009 - frozen, shared safely
    not_before: float | None = None
    holds: str | None = None


@dataclass(slots=True)
class _Contact:
    plan: StepPlan
    own_priority: int
    waiting_since: float
    seq: int
    time_step: int
    offered: bool = False


class BruteForceRouter:
    def __init__(self, config: RoutingConfig, reservations: Reservations | None = None) -> None:
        self._plans = Plans(config)
        self._reservations = reservations if reservations is not None else InMemoryReservations()
        self._agents: dict[str, _Agent] = {}
        self._contacts: dict[str, _Contact] = {}
        self._seq = itertools.count()

    # ------------------------------------------------------------------ agents

    def set_agent(self, agent_id: str, skills: Mapping[str, int]) -> None:
        checked = checked_skills(skills)
        agent = self._agents.get(agent_id)
        if agent is None:
            self._agents[agent_id] = _Agent(checked)
        else:
            agent.skills = checked

    def remove_agent(self, agent_id: str) -> None:
        self.set_logged_in(agent_id, False)
        del self._agents[agent_id]

    def set_logged_in(self, agent_id: str, logged_in: bool) -> None:
        agent = self._agent(agent_id)
        if agent.logged_in and not logged_in:
            agent.state, agent.not_before = _BUSY, None
            self._release(agent_id, agent)
        agent.logged_in = logged_in

    def agent_free(
        self, agent_id: str, now: float, stats: AgentStats, not_before: float | None = None
    ) -> None:
        agent = self._agent(agent_id)
        if not agent.logged_in:
            raise InvalidRoutingTransition(f"agent {agent_id!r} is logged out: log it in first")
        self._release(agent_id, agent)
        agent.stats = stats
        if not_before is not None and not_before > now:
            agent.state, agent.not_before = _DELAYED, not_before
        else:
            agent.state, agent.not_before = _FREE, None

    def agent_busy(self, agent_id: str) -> None:
        agent = self._agent(agent_id)
        agent.state, agent.not_before = _BUSY, None

    def _agent(self, agent_id: str) -> _Agent:
        if agent_id not in self._agents:
            raise UnknownRoutingAgent(agent_id)
        return self._agents[agent_id]

    def _release(self, agent_id: str, agent: _Agent) -> None:
        if agent.holds is not None:
            agent.holds = None
            self._reservations.release(agent_id)

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
        if contact_id in self._contacts:
            raise InvalidRoutingTransition(f"contact {contact_id!r} is already routed")
        since = now if waiting_since is None else waiting_since
        plan = self._plans.for_line_code(line_code)
        self._contacts[contact_id] = _Contact(
            plan, priority, since, next(self._seq), plan.time_step(since, now)
        )

    def requeue(self, contact_id: str, now: float) -> None:
        contact = self._contact(contact_id)
        if not contact.offered:
            raise InvalidRoutingTransition(f"contact {contact_id!r} is waiting, not offered")
        contact.offered = False
        time_step = contact.plan.time_step(contact.waiting_since, now)
        contact.time_step = max(contact.time_step, time_step)

    def remove_contact(self, contact_id: str) -> None:
        self._contact(contact_id)
        del self._contacts[contact_id]

    def _contact(self, contact_id: str) -> _Contact:
        if contact_id not in self._contacts:
            raise UnknownRoutingContact(contact_id)
        return self._contacts[contact_id]

    # ------------------------------------------------------------------ steps and time

    def _best_logged_in(self) -> dict[str, int]:
        """Per skill, the highest level among logged-in agents (one scan of all agents)."""
        best: dict[str, int] = {}
        for agent in self._agents.values():
            if agent.logged_in:
                for skill, level in agent.skills.items():
                    best[skill] = max(level, best.get(skill, 0))
        return best

    def step_of(self, contact: _Contact, best: Mapping[str, int] | None = None) -> int:
        levels = self._best_logged_in() if best is None else best

        def matchable(admissions: tuple[Admission, ...]) -> bool:
            return any(levels.get(skill, 0) >= level for skill, level in admissions)

        return contact.plan.open_from(matchable)[contact.time_step]

    def advance(self, now: float) -> None:
        for agent in self._agents.values():
            if agent.state == _DELAYED and agent.not_before is not None and agent.not_before <= now:
                agent.state, agent.not_before = _FREE, None
        for contact in self._waiting():
            time_step = contact.plan.time_step(contact.waiting_since, now)
            contact.time_step = max(contact.time_step, time_step)

    def next_deadline(self) -> float | None:
        times = [c.plan.next_start(c.waiting_since, c.time_step) for c in self._waiting()]
        times += [a.not_before for a in self._agents.values() if a.state == _DELAYED]
        return min((t for t in times if t is not None), default=None)

    def _waiting(self) -> list[_Contact]:
        return [c for c in self._contacts.values() if not c.offered]

    # ------------------------------------------------------------------ decisions

    def match(self, now: float) -> list[Match]:
        self.advance(now)
        best = self._best_logged_in()
        steps = {cid: self.step_of(c, best) for cid, c in self._contacts.items() if not c.offered}
        order = sorted(
            (self._queue_key(self._contacts[contact_id], step, now), contact_id)
            for contact_id, step in steps.items()
        )
        free = {agent_id: a for agent_id, a in self._agents.items() if a.state == _FREE}
        matches: list[Match] = []
        for _, contact_id in order:
            if not free:
                break
            offer = self._offer(contact_id, self._contacts[contact_id], steps[contact_id], free)
            if offer is not None:
                matches.append(offer)
        return matches

    @staticmethod
    def _queue_key(contact: _Contact, step: int, now: float) -> tuple[int, float, float, int]:
        plan = contact.plan
        priority = plan.priority(contact.own_priority, step)
        return queue_key(priority, contact.waiting_since, contact.seq, plan.weight, now)

    def _offer(
        self, contact_id: str, contact: _Contact, step: int, free: dict[str, _Agent]
    ) -> Match | None:
        while True:
            best = self._best_agent(contact, step, free)
            if best is None:
                return None
            (agent_rank, agent_id, _, via) = best
            agent = free.pop(agent_id)
            agent.state = _BUSY  # reserved here, or lost the race to another holder
            if self._reservations.try_reserve(agent_id, contact_id):
                break
        agent.holds = contact_id
        contact.offered = True
        plan = contact.plan
        return Match(
            contact_id=contact_id,
            agent_id=agent_id,
            line_code=plan.line_code,
            via_line_code=via,
            step_index=step,
            policy=plan.policy,
            rank=agent_rank,
            priority=plan.priority(contact.own_priority, step),
        )

    @staticmethod
    def _best_agent(contact: _Contact, step: int, free: dict[str, _Agent]) -> ChoiceKey | None:
        plan = contact.plan
        choices = [
            choice_key(rank(plan.policy, level, agent.stats), agent_id, skill, plan.line_code)
            for agent_id, agent in free.items()
            for skill, min_level in plan.admissions[step]
            if (level := agent.skills.get(skill, 0)) >= min_level
        ]
        return min(choices, default=None)

    # ------------------------------------------------------------------ oracle helpers

    def via(self, agent_id: str, contact_id: str) -> list[str]:
        """The skills through which the agent may take the contact at its current step."""
        contact, agent = self._contacts[contact_id], self._agents[agent_id]
        admissions = contact.plan.admissions[self.step_of(contact)]
        return [s for s, lv in admissions if agent.skills.get(s, 0) >= lv]

    def pairs_left(self) -> list[tuple[str, str]]:
        """(contact, agent) pairs that fit each other and are both free: empty after match."""
        return [
            (contact_id, agent_id)
            for contact_id, contact in self._contacts.items()
            if not contact.offered
            for agent_id, agent in self._agents.items()
            if agent.state == _FREE and self.via(agent_id, contact_id)
        ]

    def waiting_place(self, contact_id: str) -> tuple[str, int, float, int] | None:
        """(line code, current priority, waiting_since, seq) of a waiting contact."""
        contact = self._contacts.get(contact_id)
        if contact is None or contact.offered:
            return None
        priority = contact.plan.priority(contact.own_priority, self.step_of(contact))
        return contact.plan.line_code, priority, contact.waiting_since, contact.seq

    # ------------------------------------------------------------------ visibility

    def contact_step(self, contact_id: str, now: float) -> tuple[int, float | None]:
        contact = self._contact(contact_id)
        plan = contact.plan
        time_step = max(contact.time_step, plan.time_step(contact.waiting_since, now))
        steps = [
            self.step_of(_Contact(plan, 0, contact.waiting_since, contact.seq, t))
            for t in range(len(plan.offsets))
        ]
        changes = [
            plan.step_start(contact.waiting_since, t)
            for t in range(time_step + 1, len(steps))
            if steps[t] != steps[time_step]
        ]
        return steps[time_step], changes[0] if changes else None

    def index_view(self) -> IndexView:
        free: dict[tuple[str, int, Policy], set[str]] = {}
        for agent_id, agent in self._agents.items():
            if agent.state == _FREE:
                for skill, level in agent.skills.items():
                    for policy in self._plans.policies_for_skill(skill):
                        free.setdefault((skill, level, policy), set()).add(agent_id)
        waiting: dict[Admission, set[str]] = {}
        steps: dict[str, tuple[int, int]] = {}
        best = self._best_logged_in()
        for contact_id, contact in self._contacts.items():
            if not contact.offered:
                step = self.step_of(contact, best)
                steps[contact_id] = (contact.time_step, step)
                for admission in contact.plan.admissions[step]:
                    waiting.setdefault(admission, set()).add(contact_id)
        return IndexView(
            free={key: frozenset(ids) for key, ids in free.items()},
            waiting={key: frozenset(ids) for key, ids in waiting.items()},
            steps=steps,
            logged_in=self._logged_in_counts(),
            delayed=frozenset(a for a, agent in self._agents.items() if agent.state == _DELAYED),
        )

    def _logged_in_counts(self) -> dict[str, tuple[int, ...]]:
        counts: dict[str, list[int]] = {}
        for agent in self._agents.values():
            if agent.logged_in:
                for skill, level in agent.skills.items():
                    at_least = counts.setdefault(skill, [0] * MAX_LEVEL)
                    for m in range(level):
                        at_least[m] += 1
        return {skill: tuple(c) for skill, c in counts.items()}

    def stats(self) -> dict[str, int]:
        waiting = len(self._waiting())
        return {
            "agents": len(self._agents),
            "agents_free": sum(a.state == _FREE for a in self._agents.values()),
            "contacts_waiting": waiting,
            "contacts_offered": len(self._contacts) - waiting,
        }
