"""How a line code routes its contacts (``line_codes.yaml``): the agent selection policy, the
queue weight, and routing steps that widen who may take a contact as it waits.

Steps only widen (a contact that waited longer is never harder to serve), which keeps the
contacts of one line code in arrival order: each step admits every agent the step before
admits, so its ``min_level`` and its fallback levels are at most those of the step before, and
it keeps the fallback line codes of the step before.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Self

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import MIN_PROFICIENCY, Proficiency, SecondsOrZero, Text, Weight
from acd.settings.problems import describe, field_error


class RoutingPolicy(StrEnum):
    """How a line code chooses among the free agents that may take its contact."""

    LONGEST_IDLE = "longest_idle"
    MOST_PROFICIENT = "most_proficient"
    FEWEST_CONTACTS = "fewest_contacts"
    LEAST_TALK_TIME = "least_talk_time"
    ROUND_ROBIN = "round_robin"


def _levels_or_default(value: object) -> object:
    # {"1700 Andere Vragen": } (an empty level) means any level, as in agents.yaml.
    if isinstance(value, Mapping):
        return {name: MIN_PROFICIENCY if level is None else level for name, level in value.items()}
    if value is not None:
        raise ValueError(f"expected a mapping line code: minimum level, got {describe(value)}")
    return {}


FallbackLevels = Annotated[
    Mapping[Text, Proficiency],
    BeforeValidator(_levels_or_default),
    AfterValidator(lambda levels: MappingProxyType(dict(levels))),
    PlainSerializer(dict, return_type=dict[str, int]),
]


class RoutingStep(ConfigModel):
    """Who may take a contact once it has waited ``after_s`` seconds (until the next step):
    agents of the contact's own line code at ``min_level`` or more, and agents of each
    ``fallback`` line code at its level or more.  ``priority`` replaces the contact's priority
    from this step on (None keeps it).  A step with ``skip_if_no_agents`` is passed over at
    once while no logged-in agent could match it."""

    after_s: SecondsOrZero
    min_level: Proficiency = MIN_PROFICIENCY
    fallback: FallbackLevels = Field(default_factory=lambda: MappingProxyType({}))
    priority: int | None = None
    skip_if_no_agents: bool = True

    def admits(self, other: RoutingStep) -> bool:
        """Whether every agent ``other`` admits is admitted here too."""
        return self.min_level <= other.min_level and all(
            name in self.fallback and self.fallback[name] <= level
            for name, level in other.fallback.items()
        )


DEFAULT_STEPS = (RoutingStep(after_s=0),)


class RoutingFields(ConfigModel):
    """The routing fields of a line code (mixed into :class:`acd.settings.LineCode`)."""

    policy: RoutingPolicy = RoutingPolicy.LONGEST_IDLE
    # Contacts of different line codes competing for one agent: waiting time times weight, so
    # weight 2 counts as having waited twice as long.
    weight: Weight = 1.0
    steps: tuple[RoutingStep, ...] = Field(default_factory=lambda: DEFAULT_STEPS, min_length=1)

    @model_validator(mode="after")
    def _steps_widen(self) -> Self:
        if self.steps[0].after_s != 0:
            raise field_error(
                ("steps", 0, "after_s"),
                f"the first step must start at 0, not {self.steps[0].after_s:g}",
            )
        for index in range(1, len(self.steps)):
            before, step = self.steps[index - 1], self.steps[index]
            if step.after_s <= before.after_s:
                raise field_error(
                    ("steps", index, "after_s"),
                    f"must be later than steps[{index - 1}].after_s ({before.after_s:g})",
                )
            if not step.admits(before):
                raise field_error(
                    ("steps", index),
                    "must admit every agent the step before admits (steps only widen): keep "
                    "min_level and fallback levels at most those of the step before",
                )
        return self
