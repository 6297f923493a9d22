"""Step arithmetic: which step applies to a contact, who it admits, and what priority it has.

A contact's step is a pure function of how long it has waited and of who is logged in now:

* its *time step* is the last step whose start (``waiting_since + after_s``) is not after now;
* its *step* is the first step at or after its time step that is not skipped, where a step is
  skipped when it has ``skip_if_no_agents``, no logged-in agent could match it, and it is not
  the last step (there must be somewhere to wait).

Because steps only widen (checked in :mod:`skills.model`), both are monotone in waiting time:
a contact that waited longer is never at a narrower step than one of its line code that waited
less, which is what keeps one line code's contacts in arrival order.  A step skipped while its
agents were logged out applies again once one of them logs in: the contact waits where someone
could serve it.  Place and wait clock never change with the step.

:class:`StepPlan` is one line code's routing compiled for these questions; both routers use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from skills.model import LineCodeRouting, Policy, RoutingConfig

Admission = tuple[str, int]  # (skill line code, minimum level on it)
Matchable = Callable[[tuple[Admission, ...]], bool]


@dataclass(frozen=True, slots=True)
class StepPlan:
    line_code: str
    policy: Policy
    weight: float
    offsets: tuple[float, ...]  # after_s of each step
    admissions: tuple[tuple[Admission, ...], ...]  # per step; the own line code first
    priorities: tuple[int | None, ...]  # per step: the highest step priority so far, if any
    skippable: tuple[bool, ...]  # per step: may be skipped (never the last one)
    # The admissions whose matchability can change which step applies: when the count of
    # logged-in agents for one of them crosses zero, this line code's contacts are re-stepped.
    watch: frozenset[Admission]

    @classmethod
    def compile(cls, line_code: str, routing: LineCodeRouting) -> StepPlan:
        steps = routing.steps
        admissions: list[tuple[Admission, ...]] = []
        priorities: list[int | None] = []
        in_force: int | None = None
        for step in steps:
            # A fallback naming the own line code (possible through the default routing) can
            # only lower the own minimum level.
            own = min(step.min_level, step.fallback.get(line_code, step.min_level))
            others = sorted((n, lv) for n, lv in step.fallback.items() if n != line_code)
            admissions.append(((line_code, own), *others))
            if step.priority is not None:
                in_force = step.priority if in_force is None else max(in_force, step.priority)
            priorities.append(in_force)
        last = len(steps) - 1
        skippable = tuple(s.skip_if_no_agents and i < last for i, s in enumerate(steps))
        return cls(
            line_code=line_code,
            policy=routing.policy,
            weight=routing.weight,
            offsets=tuple(s.after_s for s in steps),
            admissions=tuple(admissions),
            priorities=tuple(priorities),
            skippable=skippable,
            watch=frozenset(
                adm
                for adms, skip in zip(admissions, skippable, strict=True)
                if skip
                for adm in adms
            ),
        )

    @property
    def last(self) -> int:
        return len(self.offsets) - 1

    def step_start(self, waiting_since: float, index: int) -> float:
        # The one place a start time is computed, so that the routers' timers and their
        # "has this step started" checks agree to the last bit of a float.
        return waiting_since + self.offsets[index]

    def time_step(self, waiting_since: float, now: float) -> int:
        index = self.last
        while index > 0 and self.step_start(waiting_since, index) > now:
            index -= 1
        return index

    def next_start(self, waiting_since: float, time_step: int) -> float | None:
        if time_step >= self.last:
            return None
        return self.step_start(waiting_since, time_step + 1)

    def next_change(
        self, waiting_since: float, time_step: int, open_from: tuple[int, ...]
    ) -> float | None:
        """When the step next changes, if who is logged in stays as it is: the start of the
        first later time step that leads to another step (None when none does)."""
        for later in range(time_step + 1, len(self.offsets)):
            if open_from[later] != open_from[time_step]:
                return self.step_start(waiting_since, later)
        return None

    def priority(self, own: int, index: int) -> int:
        """A step raises the contact's priority, never lowers it: a callback or escalation
        return queued with a high priority of its own keeps it at every step."""
        in_force = self.priorities[index]
        return own if in_force is None else max(own, in_force)

    def open_from(self, matchable: Matchable) -> tuple[int, ...]:
        """For each time step, the step a contact is at: the first one not skipped."""
        result = [0] * len(self.offsets)
        open_step = self.last
        for index in range(self.last, -1, -1):
            if not (self.skippable[index] and not matchable(self.admissions[index])):
                open_step = index
            result[index] = open_step
        return tuple(result)


class Plans:
    """Compiled plans per line code (cached), and which policies order each skill's agents."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._plans: dict[str, StepPlan] = {}
        self._fallback_policies: dict[str, set[Policy]] = {}
        for routing in config.routing.values():
            for step in routing.steps:
                for skill in step.fallback:
                    self._fallback_policies.setdefault(skill, set()).add(routing.policy)
        self._default_fallbacks = {
            skill for step in config.default.steps for skill in step.fallback
        }
        self._policies: dict[str, tuple[Policy, ...]] = {}

    def for_line_code(self, line_code: str) -> StepPlan:
        plan = self._plans.get(line_code)
        if plan is None:
            plan = StepPlan.compile(line_code, self.config.for_line_code(line_code))
            self._plans[line_code] = plan
        return plan

    def policies_for_skill(self, skill: str) -> tuple[Policy, ...]:
        """Every policy under which agents of ``skill`` may be chosen: the skill's own line
        code's, and that of each line code that names it as a fallback."""
        policies = self._policies.get(skill)
        if policies is None:
            wanted = {self.config.for_line_code(skill).policy}
            wanted |= self._fallback_policies.get(skill, set())
            if skill in self._default_fallbacks:
                wanted.add(self.config.default.policy)
            policies = tuple(sorted(wanted))
            self._policies[skill] = policies
        return policies
