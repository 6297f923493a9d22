"""Property tests: random sequences of routing events, the indexed Router held to the
brute-force reference and to the routing invariants after every event.

Each rule applies one event to both routers (an event that is invalid must raise the same
error in both and change nothing); some rules also call ``match`` as the engine does after an
event, others leave their change for a later ``match`` so several changes meet in one call.

Run deeper with ``SKILLS_HYPOTHESIS_PROFILE=skills-deep pytest tests/skills``.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from foundation.errors import RoutingError
from skills.model import AgentStats, Match, RoutingConfig
from skills.reference import BruteForceRouter
from skills.reservations import InMemoryReservations
from skills.router import Router
from skills.steps import Plans
from tests.skills.strategies import (
    AGENTS,
    LINE_CODES,
    UNCONFIGURED,
    agent_stats,
    routing_configs,
    skill_maps,
)

_BASE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("skills-ci", _BASE, max_examples=200, stateful_step_count=60)
settings.register_profile("skills-deep", _BASE, max_examples=5000, stateful_step_count=80)
_PROFILE = settings.get_profile(os.environ.get("SKILLS_HYPOTHESIS_PROFILE", "skills-ci"))

CLOCK_STEPS = st.sampled_from([0.0, 0.5, 1.0, 4.0, 5.0, 9.5, 10.0, 25.0, 30.0, 60.0, 120.0])
OTHER_NODE = "held-by-another-node"


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 100.0
        self.next_contact = 0
        self.contacts: set[str] = set()
        self.offered: dict[str, str] = {}  # contact -> agent, as the tests saw the matches
        self.holding: dict[str, str] = {}  # agent -> contact
        self.skills: dict[str, dict[str, int]] = {}

    @initialize(
        config=routing_configs(),
        skills=st.lists(skill_maps, min_size=len(AGENTS), max_size=len(AGENTS)),
        ready=st.sets(st.sampled_from(AGENTS)),
    )
    def start(self, config: RoutingConfig, skills: list[dict[str, int]], ready: set[str]) -> None:
        self.plans = Plans(config)
        self.stores = (InMemoryReservations(), InMemoryReservations())
        self.router = Router(config, self.stores[0])
        self.oracle = BruteForceRouter(config, self.stores[1])
        for agent, agent_skills in zip(AGENTS, skills, strict=True):
            self.both("set_agent", agent, agent_skills)
            self.skills[agent] = agent_skills
        for agent in sorted(ready):
            self.both("set_logged_in", agent, True)
            self.both("agent_free", agent, self.now, AgentStats(self.now))

    @rule(agent=st.sampled_from(AGENTS), stats=agent_stats, then_match=st.booleans())
    def log_in_and_free(self, agent: str, stats: AgentStats, then_match: bool) -> None:
        """The common path: an agent logs in (or already is) and becomes available."""
        self.both("set_logged_in", agent, True)
        self.free(agent, stats, None, then_match)

    # ------------------------------------------------------------------ applying events

    def both(self, method: str, *args: Any, **kwargs: Any) -> bool:
        """Apply to both routers: both succeed, or both refuse with the same error."""
        errors: list[type[BaseException] | None] = []
        for target in (self.router, self.oracle):
            try:
                getattr(target, method)(*args, **kwargs)
                errors.append(None)
            except RoutingError as exc:
                errors.append(type(exc))
        assert errors[0] == errors[1], f"router raised {errors[0]}, reference {errors[1]}"
        return errors[0] is None

    def maybe_match(self, then_match: bool) -> None:
        if then_match:
            self.match()

    # ------------------------------------------------------------------ agents

    @rule(agent=st.sampled_from(AGENTS), skills=skill_maps, then_match=st.booleans())
    def set_agent(self, agent: str, skills: dict[str, int], then_match: bool) -> None:
        self.both("set_agent", agent, skills)
        self.skills[agent] = dict(skills)
        self.maybe_match(then_match)

    @rule(agent=st.sampled_from(AGENTS), logged_in=st.booleans(), then_match=st.booleans())
    def log_in_or_out(self, agent: str, logged_in: bool, then_match: bool) -> None:
        if self.both("set_logged_in", agent, logged_in) and not logged_in:
            self.holding.pop(agent, None)
        self.maybe_match(then_match)

    @rule(
        agent=st.sampled_from(AGENTS),
        stats=agent_stats,
        delay=st.none() | st.sampled_from([0.0, 1.0, 5.0, 20.0]),
        then_match=st.booleans(),
    )
    def free(self, agent: str, stats: AgentStats, delay: float | None, then_match: bool) -> None:
        not_before = None if delay is None else self.now + delay
        if self.both("agent_free", agent, self.now, stats, not_before):
            self.holding.pop(agent, None)
        self.maybe_match(then_match)

    @rule(agent=st.sampled_from(AGENTS), then_match=st.booleans())
    def busy(self, agent: str, then_match: bool) -> None:
        self.both("agent_busy", agent)
        self.maybe_match(then_match)

    @rule(agent=st.sampled_from(AGENTS))
    def remove_agent(self, agent: str) -> None:
        if self.both("remove_agent", agent):
            self.holding.pop(agent, None)
            self.skills.pop(agent, None)

    @rule(agent=st.sampled_from(AGENTS), taken=st.booleans())
    def another_node(self, agent: str, taken: bool) -> None:
        """Another node reserves (or lets go of) an agent behind this router's back."""
        for store in self.stores:
            if taken:
                store.try_reserve(agent, OTHER_NODE)
            elif store.holder(agent) == OTHER_NODE:
                store.release(agent)

    # ------------------------------------------------------------------ contacts

    @rule(
        arrivals=st.lists(
            st.tuples(
                st.sampled_from([*LINE_CODES, UNCONFIGURED]),
                st.sampled_from([0, 0, 0, 1, 2]),  # mostly equal: then weight and place decide
                st.sampled_from([None, 0.0, 12.0, 45.0]),
            ),
            min_size=1,
            max_size=4,
        ),
        then_match=st.booleans(),
    )
    def add_contacts(self, arrivals: list[tuple[str, int, float | None]], then_match: bool) -> None:
        """Contacts arrive (``waited`` set: a contact re-queued with its old wait clock)."""
        for line_code, priority, waited in arrivals:
            contact = f"c{self.next_contact}"
            self.next_contact += 1
            since = None if waited is None else self.now - waited
            self.both(
                "add_contact", contact, line_code, self.now, priority=priority, waiting_since=since
            )
            self.contacts.add(contact)
        self.maybe_match(then_match)

    @rule(data=st.data(), then_match=st.booleans())
    def remove_contact(self, data: st.DataObject, then_match: bool) -> None:
        if not self.contacts:
            return
        contact = data.draw(st.sampled_from(sorted(self.contacts)))
        self.both("remove_contact", contact)
        self.contacts.discard(contact)
        self.offered.pop(contact, None)
        self.maybe_match(then_match)

    @rule(data=st.data(), then_match=st.booleans())
    def requeue(self, data: st.DataObject, then_match: bool) -> None:
        if not self.contacts:
            return
        contact = data.draw(st.sampled_from(sorted(self.contacts)))
        if self.both("requeue", contact, self.now):
            self.offered.pop(contact)
        self.maybe_match(then_match)

    @rule(data=st.data(), stats=agent_stats, then_match=st.booleans())
    def answered_then_wrapped_up(
        self, data: st.DataObject, stats: AgentStats, then_match: bool
    ) -> None:
        """The whole happy path: the offered agent answers, the call ends, wrap-up ends."""
        if not self.offered:
            return
        contact = data.draw(st.sampled_from(sorted(self.offered)))
        agent = self.offered.pop(contact)
        self.both("remove_contact", contact)
        self.contacts.discard(contact)
        self.free(agent, stats, None, then_match)

    @rule(data=st.data(), delay=st.sampled_from([0.0, 2.0, 15.0]), then_match=st.booleans())
    def offer_failed(self, data: st.DataObject, delay: float, then_match: bool) -> None:
        """Missed, busy or rejected: the contact waits again, the agent after a delay."""
        if not self.offered:
            return
        contact = data.draw(st.sampled_from(sorted(self.offered)))
        agent = self.offered.pop(contact)
        self.both("requeue", contact, self.now)
        stats = AgentStats(idle_since=self.now - 50)
        self.free(agent, stats, delay, then_match)

    @rule(dt=CLOCK_STEPS, then_match=st.booleans())
    def clock(self, dt: float, then_match: bool) -> None:
        self.now += dt
        self.maybe_match(then_match)

    @rule()
    def clock_to_next_deadline(self) -> None:
        deadline = self.router.next_deadline()
        if deadline is not None:
            self.now = max(self.now, deadline)
        self.match()

    # ------------------------------------------------------------------ decisions

    @rule()
    def match(self) -> None:
        self.router.advance(self.now)
        self.oracle.advance(self.now)
        before = {c: self.oracle.waiting_place(c) for c in self.contacts}
        steps = {c: self.oracle.contact_step(c, self.now)[0] for c in self.contacts}
        made = self.router.match(self.now)
        assert made == self.oracle.match(self.now), "the router decided otherwise than brute force"
        for index, offer in enumerate(made):
            self.check_offer(offer, steps)
            self.check_arrival_order(offer, before, made[:index])
            self.offered[offer.contact_id] = offer.agent_id
            self.holding[offer.agent_id] = offer.contact_id
        assert self.oracle.pairs_left() == [], "a free agent and a contact it fits are left"

    def check_offer(self, offer: Match, steps: dict[str, int]) -> None:
        assert offer.agent_id not in self.holding, "agent offered a second contact"
        assert offer.contact_id not in self.offered, "contact offered to a second agent"
        assert offer.step_index == steps[offer.contact_id]
        plan = self.plans.for_line_code(offer.line_code)
        required = dict(plan.admissions[offer.step_index])
        assert offer.via_line_code in required, "offered through a skill its step does not admit"
        level = self.skills[offer.agent_id].get(offer.via_line_code, 0)
        assert level >= required[offer.via_line_code], "agent below the step's minimum level"

    @staticmethod
    def check_arrival_order(
        offer: Match, before: dict[str, tuple[str, int, float, int] | None], earlier: list[Match]
    ) -> None:
        place = before[offer.contact_id]
        assert place is not None
        taken = {m.contact_id for m in earlier}
        for other, other_place in before.items():
            if other_place is None or other in taken or other == offer.contact_id:
                continue
            same_queue = other_place[:2] == place[:2]
            assert not (same_queue and other_place[2:] < place[2:]), (
                f"{offer.contact_id} offered while {other} of its line code and priority, "
                "placed earlier, still waits"
            )

    # ------------------------------------------------------------------ invariants

    @invariant()
    def indexes_equal_recomputation(self) -> None:
        if hasattr(self, "router"):
            assert self.router.index_view() == self.oracle.index_view()

    @invariant()
    def same_deadlines_and_steps(self) -> None:
        if hasattr(self, "router"):
            assert self.router.next_deadline() == self.oracle.next_deadline()
            for contact in self.contacts:
                assert self.router.contact_step(contact, self.now) == self.oracle.contact_step(
                    contact, self.now
                )
            for key, size in self.oracle.stats().items():
                assert self.router.stats()[key] == size, key


RoutingMachine.TestCase.settings = _PROFILE
TestRouting = RoutingMachine.TestCase
