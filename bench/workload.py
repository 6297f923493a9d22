"""Synthetic contact-centre workloads for the routing benchmarks, seeded and reproducible.

A workload is a routing configuration, a set of agents with skills, and a steady-state event
stream: agents finish calls and become free, contacts arrive to keep the queue at its target
size, now and then one abandons.  Every offer is answered at once (the contact leaves, the
agent stays busy until it is freed by a later event), so the queue length stays near its
target while the router keeps deciding.

Line code ``L0000`` plays "1700 Andere Vragen": every other line code falls back to it after
90 s.  Policies rotate over the line codes and one in ten is a sector line with weight 2.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from skills.model import AgentStats, LineCodeRouting, Policy, RoutingConfig, Step

GENERAL = "L0000"


@dataclass(frozen=True)
class Shape:
    contacts: int  # waiting contacts to keep in the queue
    agents: int
    line_codes: int
    skills_per_agent: int

    @property
    def label(self) -> str:
        return f"{self.contacts} x {self.agents} x {self.line_codes}"


def line_code_names(count: int) -> list[str]:
    return [f"L{i:04d}" for i in range(count)]


def routing_config(line_codes: list[str]) -> RoutingConfig:
    policies = list(Policy)
    routing = {}
    for index, name in enumerate(line_codes):
        fallback = {} if name == GENERAL else {GENERAL: 1}
        routing[name] = LineCodeRouting(
            steps=(
                Step(0, min_level=3),
                Step(30),
                Step(90, fallback=fallback, priority=1),
            ),
            policy=policies[index % len(policies)],
            weight=2.0 if index % 10 == 9 else 1.0,
        )
    return RoutingConfig(routing)


def agent_skills(shape: Shape, rng: random.Random) -> dict[str, dict[str, int]]:
    """Skills dealt round a shuffled ring of line codes, so every line code has about
    agents x skills / line codes agents (no line code nobody could ever serve), at random
    levels 1..5."""
    names = line_code_names(shape.line_codes)
    ring = rng.sample(names, len(names))
    per_agent = min(shape.skills_per_agent, len(names))
    skills = {}
    for i in range(shape.agents):
        codes = (ring[(i * per_agent + j) % len(ring)] for j in range(per_agent))
        skills[f"agent{i:05d}"] = {code: rng.randint(1, 5) for code in codes}
    return skills


@dataclass
class Event:
    kind: str  # "free", "arrive", "abandon"
    subject: str
    line_code: str = ""
    priority: int = 0


@dataclass
class Stream:
    """Draws the next event from the current state (which agents are busy, who waits)."""

    shape: Shape
    rng: random.Random
    busy: list[str]
    waiting: dict[str, None] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    next_contact: int = 0

    def __post_init__(self) -> None:
        self.names = line_code_names(self.shape.line_codes)

    def next_event(self) -> Event:
        if len(self.waiting) < self.shape.contacts or not self.busy:
            return self.arrival()
        if self.rng.random() < 0.05:
            contact = next(iter(self.waiting))  # the one who waited longest gives up
            return Event("abandon", contact)
        index = self.rng.randrange(len(self.busy))
        self.busy[index], self.busy[-1] = self.busy[-1], self.busy[index]
        return Event("free", self.busy.pop())

    def arrival(self) -> Event:
        contact = f"c{self.next_contact:07d}"
        self.next_contact += 1
        priority = 1 if self.rng.random() < 0.05 else 0  # a few callbacks come back with priority
        return Event("arrive", contact, self.rng.choice(self.names), priority)


def stats_for(agent: str, now: float, rng: random.Random, offers: int) -> AgentStats:
    return AgentStats(
        idle_since=now,
        contacts_today=rng.randint(0, 40),
        talk_time_today_s=rng.uniform(0, 20_000),
        last_offered_seq=offers,
    )
