"""How a line code routes its contacts (``line_codes.yaml``): the agent selection policy, the
queue weight, and routing steps that widen who may take a contact as it waits.

The settings build the routing core's own types (:class:`skills.Policy`, :class:`skills.Step`,
:class:`skills.LineCodeRouting`): this module only says how a step is written in YAML (so a
mistake names the file, key and reason like any other) and hands the rules that relate steps to
each other (the first starts at 0, each later one starts later and only widens) to
:func:`skills.model.check_steps`, where they are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    PlainSerializer,
    model_validator,
)
from pydantic_core import core_schema

from acd.settings.base import ConfigModel
from acd.settings.fields import MIN_PROFICIENCY, Proficiency, SecondsOrZero, Text, Weight
from acd.settings.problems import describe, field_error
from foundation.errors import RoutingConfigError
from skills import LineCodeRouting, Policy, Step
from skills.model import DEFAULT_STEPS, check_steps


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


class _StepData(ConfigModel):
    """How a :class:`skills.Step` is written in ``line_codes.yaml``: who may take a contact once
    it has waited ``after_s`` seconds (until the next step): agents of the contact's own line
    code at ``min_level`` or more, and agents of each ``fallback`` line code at its level or
    more.  ``priority`` replaces the contact's priority from this step on (None keeps it).  A
    step with ``skip_if_no_agents`` is passed over at once while no logged-in agent could
    match it."""

    after_s: SecondsOrZero
    min_level: Proficiency = MIN_PROFICIENCY
    fallback: FallbackLevels = Field(default_factory=lambda: MappingProxyType({}))
    priority: int | None = None
    skip_if_no_agents: bool = True

    def step(self) -> Step:
        return Step(
            after_s=self.after_s,
            min_level=self.min_level,
            fallback=self.fallback,
            priority=self.priority,
            skip_if_no_agents=self.skip_if_no_agents,
        )


def _step_dict(step: Step) -> dict[str, Any]:
    return {
        "after_s": step.after_s,
        "min_level": step.min_level,
        "fallback": dict(step.fallback),
        "priority": step.priority,
        "skip_if_no_agents": step.skip_if_no_agents,
    }


def _step_schema(_source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    # YAML data is read as a _StepData (so a mistake is located and worded like any other
    # key) and then built into a skills.Step; a Step given in code passes as it is.
    def from_data(value: Any, parse: core_schema.ValidatorFunctionWrapHandler) -> Step:
        if isinstance(value, Step):
            return value
        data: _StepData = parse(value)
        return data.step()

    return core_schema.no_info_wrap_validator_function(
        from_data,
        handler.generate_schema(_StepData),
        serialization=core_schema.plain_serializer_function_ser_schema(_step_dict),
    )


RoutingStep = Annotated[Step, GetPydanticSchema(_step_schema)]


class RoutingFields(ConfigModel):
    """The routing fields of a line code (mixed into :class:`acd.settings.LineCode`)."""

    policy: Policy = Policy.LONGEST_IDLE
    # Contacts of different line codes competing for one agent: waiting time times weight, so
    # weight 2 counts as having waited twice as long.
    weight: Weight = 1.0
    steps: tuple[RoutingStep, ...] = Field(default_factory=lambda: DEFAULT_STEPS, min_length=1)

    @model_validator(mode="after")
    def _steps_widen(self) -> Self:
        try:
            check_steps(self.steps)
        except RoutingConfigError as exc:
            raise field_error(exc.path, exc.reason) from None
        return self

    @property
    def routing(self) -> LineCodeRouting:
        """This line code's routing, as the router takes it."""
        return LineCodeRouting(steps=self.steps, policy=self.policy, weight=self.weight)
