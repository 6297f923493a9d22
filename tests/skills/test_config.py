"""Routing configuration: built from plain data, every mistake refused with its key."""

from __future__ import annotations

from typing import Any

import pytest

from foundation.errors import RoutingConfigError
from skills.config import routing_config_from_data
from skills.model import LineCodeRouting, Policy, RoutingConfig, Step, checked_skills

EXAMPLE: dict[str, Any] = {
    "default": {"policy": "longest_idle"},
    "line_codes": {
        "Wonen en energie": {
            "policy": "most_proficient",
            "weight": 2,
            "steps": [
                {"after_s": 0, "min_level": 4},
                {"after_s": 30},
                {"after_s": 90, "fallback": {"1700 Andere Vragen": 1}, "priority": 2},
            ],
        },
    },
}


def test_the_documented_example_parses() -> None:
    config = routing_config_from_data(EXAMPLE)
    wonen = config.for_line_code("Wonen en energie")
    assert wonen.policy is Policy.MOST_PROFICIENT
    assert wonen.weight == 2.0
    assert wonen.steps[0] == Step(0.0, min_level=4)
    assert dict(wonen.steps[2].fallback) == {"1700 Andere Vragen": 1}
    assert wonen.steps[2].priority == 2
    assert config.for_line_code("anything else") == LineCodeRouting()


def test_an_empty_config_routes_every_line_code_by_default() -> None:
    assert routing_config_from_data({}) == RoutingConfig()


def _with_step(step: dict[str, Any], *, before: dict[str, Any] | None = None) -> dict[str, Any]:
    steps = [before or {"after_s": 0}, step]
    return {"line_codes": {"X": {"steps": steps}}}


@pytest.mark.parametrize(
    ("data", "where", "reason"),
    [
        ([], "", "must be a mapping"),
        ({"routing": {}}, "routing", "unknown key"),
        ({"line_codes": {"X": {"polcy": "x"}}}, "line_codes.X.polcy", "unknown key"),
        ({"line_codes": {"X": {"policy": "random"}}}, "line_codes.X.policy", "unknown policy"),
        ({"line_codes": {"X": {"weight": 0}}}, "line_codes.X.weight", "greater than 0"),
        ({"line_codes": {"X": {"weight": "2"}}}, "line_codes.X.weight", "must be a number"),
        ({"line_codes": {"X": {"steps": []}}}, "line_codes.X.steps", "at least one step"),
        ({"line_codes": {"X": {"steps": {"after_s": 0}}}}, "line_codes.X.steps", "a list"),
        (
            {"line_codes": {"X": {"steps": [{"after_s": 5}]}}},
            "line_codes.X.steps[0].after_s",
            "must start at 0 s",
        ),
        (_with_step({"min_level": 2}), "line_codes.X.steps[1].after_s", "is required"),
        (_with_step({"after_s": -1}), "line_codes.X.steps[1].after_s", "not be negative"),
        (_with_step({"after_s": 0}), "line_codes.X.steps[1].after_s", "later than the step"),
        (_with_step({"after_s": "30"}), "line_codes.X.steps[1].after_s", "finite number"),
        (_with_step({"after_s": 30, "min_level": 6}), "line_codes.X.steps[1].min_level", "1..5"),
        (
            _with_step({"after_s": 30, "min_level": True}),
            "line_codes.X.steps[1].min_level",
            "whole",
        ),
        (_with_step({"after_s": 30, "min_levle": 2}), "line_codes.X.steps[1].min_levle", "unknown"),
        (
            _with_step({"after_s": 30, "fallback": {"Y": 0}}),
            "line_codes.X.steps[1].fallback.Y",
            "1..5",
        ),
        (
            _with_step({"after_s": 30, "fallback": ["Y"]}),
            "line_codes.X.steps[1].fallback",
            "mapping",
        ),
        (_with_step({"after_s": 30, "priority": 1.5}), "line_codes.X.steps[1].priority", "whole"),
        (
            _with_step({"after_s": 30, "skip_if_no_agents": "no"}),
            "line_codes.X.steps[1].skip_if_no_agents",
            "true or false",
        ),
        # Steps only widen: a later step may not ask for more than the one before.
        (
            _with_step({"after_s": 30, "min_level": 3}, before={"after_s": 0, "min_level": 2}),
            "line_codes.X.steps[1]",
            "steps only widen",
        ),
        (
            _with_step({"after_s": 30}, before={"after_s": 0, "fallback": {"Y": 1}}),
            "line_codes.X.steps[1]",
            "steps only widen",
        ),
        (
            _with_step({"after_s": 30, "fallback": {"X": 1}}),
            "line_codes.X.steps[1].fallback.X",
            "its own fallback",
        ),
    ],
)
def test_mistakes_are_refused_with_their_key(data: object, where: str, reason: str) -> None:
    with pytest.raises(RoutingConfigError) as caught:
        routing_config_from_data(data)
    assert str(caught.value).startswith(f"{where}: " if where else reason)
    assert reason in caught.value.reason


def test_paths_quote_line_code_names_that_are_not_identifiers() -> None:
    data = {"line_codes": {"1700 Andere Vragen": {"weight": -1}}}
    with pytest.raises(RoutingConfigError, match=r"^line_codes\['1700 Andere Vragen'\]\.weight: "):
        routing_config_from_data(data)


def test_config_objects_are_read_only_copies() -> None:
    fallback = {"Y": 2}
    step = Step(30, fallback=fallback)
    fallback["Y"] = 5
    assert step.fallback["Y"] == 2
    assert hash(step) == hash(Step(30, fallback={"Y": 2}))


@pytest.mark.parametrize(
    ("skills", "reason"),
    [({"X": 0}, "1..5"), ({"X": "3"}, "whole number"), ({"": 3}, "must be text")],
)
def test_agent_skills_are_checked(skills: dict[Any, Any], reason: str) -> None:
    with pytest.raises(RoutingConfigError, match=reason):
        checked_skills(skills)
