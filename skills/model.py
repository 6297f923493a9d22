"""The routing model as plain, validated data: policies, steps, per-line-code routing, agent stats.

Everything here is frozen and checked when built, so a router never meets a configuration that
can not work: a mistake is refused at start with the key that is wrong
(:class:`~foundation.errors.RoutingConfigError`).  The rules live here once: the settings parse
``line_codes.yaml`` into these same types and call :func:`check_steps` for the steps.
Times are float seconds on the engine's one clock; levels are proficiencies 1 (novice) to 5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from foundation.errors import RoutingConfigError

MIN_LEVEL = 1
MAX_LEVEL = 5
LEVELS = range(MIN_LEVEL, MAX_LEVEL + 1)


class Policy(StrEnum):
    """How a line code chooses among the free agents that may take its contact."""

    LONGEST_IDLE = "longest_idle"
    MOST_PROFICIENT = "most_proficient"
    FEWEST_CONTACTS = "fewest_contacts"
    LEAST_TALK_TIME = "least_talk_time"
    ROUND_ROBIN = "round_robin"


def _check_level(value: object, path: tuple[str | int, ...]) -> int:
    # bool is an int to Python, but "min_level: true" is a mistake, not level 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RoutingConfigError(path, f"must be a whole number {MIN_LEVEL}..{MAX_LEVEL}")
    if value not in LEVELS:
        raise RoutingConfigError(path, f"must be {MIN_LEVEL}..{MAX_LEVEL}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Step:
    """Who may take a contact once it has waited ``after_s`` seconds (until the next step).

    ``min_level`` applies to the contact's own line code; ``fallback`` names other line codes
    whose agents may also take it, each with its own minimum level.  ``priority`` is the
    contact's priority from this step on, unless the contact has a higher one of its own (a
    callback, an escalation return): steps raise priority, never lower it.  A step with
    ``skip_if_no_agents`` is passed over at once while no logged-in agent could match it.
    """

    after_s: float
    min_level: int = MIN_LEVEL
    fallback: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    priority: int | None = None
    skip_if_no_agents: bool = True

    def __post_init__(self) -> None:
        after = self.after_s
        is_number = isinstance(after, int | float) and not isinstance(after, bool)
        if not is_number or not math.isfinite(after):
            raise RoutingConfigError(("after_s",), "must be a finite number of seconds")
        if after < 0:
            raise RoutingConfigError(("after_s",), f"must not be negative, got {after:g}")
        object.__setattr__(self, "after_s", float(after))
        _check_level(self.min_level, ("min_level",))
        fallback = dict(self.fallback)
        for name, level in fallback.items():
            if not isinstance(name, str) or not name:
                raise RoutingConfigError(
                    ("fallback",), f"line code names must be text, got {name!r}"
                )
            _check_level(level, ("fallback", name))
        # A read-only copy: a caller mutating its dict later must not change routing.
        object.__setattr__(self, "fallback", MappingProxyType(fallback))
        if self.priority is not None and (
            isinstance(self.priority, bool) or not isinstance(self.priority, int)
        ):
            raise RoutingConfigError(("priority",), "must be a whole number or absent")

    def __hash__(self) -> int:
        items = tuple(sorted(self.fallback.items()))
        return hash((self.after_s, self.min_level, items, self.priority, self.skip_if_no_agents))

    def admits(self, other: Step) -> bool:
        """True when every agent ``other`` admits is admitted here too (this step is wider)."""
        if self.min_level > other.min_level:
            return False
        return all(
            name in self.fallback and self.fallback[name] <= level
            for name, level in other.fallback.items()
        )


DEFAULT_STEPS = (Step(0.0),)


@dataclass(frozen=True, slots=True)
class LineCodeRouting:
    """The routing of one line code: its widening steps, agent policy and queue weight.

    ``weight`` ranks contacts of different line codes that compete for one agent: priority
    first, then waiting time multiplied by weight (weight 2 counts as having waited twice as
    long), so a sector line with a stricter target can be served first.
    """

    steps: tuple[Step, ...] = DEFAULT_STEPS
    policy: Policy = Policy.LONGEST_IDLE
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        try:
            object.__setattr__(self, "policy", Policy(self.policy))
        except ValueError:
            known = ", ".join(p.value for p in Policy)
            reason = f"unknown policy {self.policy!r}; one of {known}"
            raise RoutingConfigError(("policy",), reason) from None
        weight = self.weight
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise RoutingConfigError(("weight",), "must be a number")
        if not math.isfinite(weight) or weight <= 0:
            raise RoutingConfigError(("weight",), f"must be greater than 0, got {weight:g}")
        object.__setattr__(self, "weight", float(weight))
        check_steps(self.steps)


def check_steps(steps: tuple[Step, ...]) -> None:
    """Refuse steps that do not start at 0 s, do not follow each other in time, or narrow who
    may take the contact; the path of a refusal is relative to the line code's routing."""
    if not steps:
        raise RoutingConfigError(("steps",), "needs at least one step")
    for index, step in enumerate(steps):
        if not isinstance(step, Step):
            raise RoutingConfigError(("steps", index), "must be a Step")
    if steps[0].after_s != 0:
        raise RoutingConfigError(
            ("steps", 0, "after_s"),
            f"the first step must start at 0, not {steps[0].after_s:g}",
        )
    for index in range(1, len(steps)):
        before, step = steps[index - 1], steps[index]
        if step.after_s <= before.after_s:
            raise RoutingConfigError(
                ("steps", index, "after_s"),
                f"must be later than steps[{index - 1}].after_s ({before.after_s:g})",
            )
        # Steps only widen: a contact that waited longer may never be harder to serve, which
        # is what keeps contacts of one line code in arrival order.
        if not step.admits(before):
            raise RoutingConfigError(
                ("steps", index),
                "must admit every agent the step before admits (steps only widen): keep "
                "min_level and fallback levels at most those of the step before",
            )


DEFAULT_ROUTING = LineCodeRouting()


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Routing per line code name; a line code absent from ``routing`` gets ``default``.

    The default may name fallback line codes (every unlisted line code falls back to "1700
    Andere Vragen" after 90 s); for a contact of the fallback line code itself that entry just
    lowers its own minimum level.
    """

    routing: Mapping[str, LineCodeRouting] = field(default_factory=lambda: MappingProxyType({}))
    default: LineCodeRouting = DEFAULT_ROUTING

    def __post_init__(self) -> None:
        routing = dict(self.routing)
        for name, entry in routing.items():
            if not isinstance(entry, LineCodeRouting):
                raise RoutingConfigError((name,), "must be a LineCodeRouting")
            for index, step in enumerate(entry.steps):
                if name in step.fallback:
                    raise RoutingConfigError(
                        (name, "steps", index, "fallback", name),
                        "a line code can not be its own fallback; lower min_level instead",
                    )
        object.__setattr__(self, "routing", MappingProxyType(routing))

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.routing.items())), self.default))

    def for_line_code(self, name: str) -> LineCodeRouting:
        return self.routing.get(name, self.default)


@dataclass(frozen=True, slots=True)
class AgentStats:
    """What the policies rank a free agent by; the engine keeps these and passes them in.

    ``last_offered_seq`` is any number that grows with each offer the engine makes (a counter
    of offers): round robin picks the agent whose last offer is the oldest.
    """

    idle_since: float
    contacts_today: int = 0
    talk_time_today_s: float = 0.0
    last_offered_seq: int = 0


RankKey = tuple[float | int, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """One offer the router made: the agent is reserved and the contact is offered."""

    contact_id: str
    agent_id: str
    line_code: str
    via_line_code: str  # the agent's skill used: the contact's own line code or a fallback
    step_index: int
    policy: Policy
    rank: RankKey  # the policy's ranking key that won (smaller is better)
    priority: int


def checked_skills(skills: Mapping[str, int]) -> dict[str, int]:
    """An agent's skills as a private dict, refused if a level is out of range."""
    checked: dict[str, int] = {}
    for name, level in skills.items():
        if not isinstance(name, str) or not name:
            raise RoutingConfigError(("skills",), f"line code names must be text, got {name!r}")
        checked[name] = _check_level(level, ("skills", name))
    return checked
