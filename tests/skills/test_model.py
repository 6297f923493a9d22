"""The routing model: built from plain values, every mistake refused with its key.

(The tests of ``skills.config``, a parser for a ``routing.yaml`` nothing read, went with it: the
settings build these types from ``line_codes.yaml``, tested in ``tests/settings``.)"""

from __future__ import annotations

from typing import Any

import pytest

from foundation.errors import RoutingConfigError, format_path
from skills.model import LineCodeRouting, RoutingConfig, Step, checked_skills


def _routing(*steps: Step) -> LineCodeRouting:
    return LineCodeRouting(steps=steps)


@pytest.mark.parametrize(
    ("build", "where", "reason"),
    [
        (lambda: LineCodeRouting(policy="random"), "policy", "unknown policy"),  # type: ignore[arg-type]  # wrong types on purpose
        (lambda: LineCodeRouting(weight=0), "weight", "greater than 0"),
        (lambda: LineCodeRouting(weight="2"), "weight", "must be a number"),  # type: ignore[arg-type]  # wrong types on purpose
        (lambda: _routing(), "steps", "at least one step"),
        (lambda: _routing(Step(5)), "steps[0].after_s", "must start at 0, not 5"),
        (lambda: Step(-1), "after_s", "not be negative"),
        (lambda: _routing(Step(0), Step(0)), "steps[1].after_s", "later than steps[0].after_s (0)"),
        (lambda: Step("30"), "after_s", "finite number"),  # type: ignore[arg-type]  # wrong types on purpose
        (lambda: Step(30, min_level=6), "min_level", "1..5"),
        (lambda: Step(30, min_level=True), "min_level", "whole"),
        (lambda: Step(30, fallback={"Y": 0}), "fallback.Y", "1..5"),
        (lambda: Step(30, priority=1.5), "priority", "whole"),  # type: ignore[arg-type]  # wrong types on purpose
        # Steps only widen: a later step may not ask for more than the one before.
        (
            lambda: _routing(Step(0, min_level=2), Step(30, min_level=3)),
            "steps[1]",
            "steps only widen",
        ),
        (
            lambda: _routing(Step(0, fallback={"Y": 1}), Step(30)),
            "steps[1]",
            "steps only widen",
        ),
        (
            lambda: RoutingConfig({"X": _routing(Step(0), Step(30, fallback={"X": 1}))}),
            "X.steps[1].fallback.X",
            "its own fallback",
        ),
    ],
)
def test_mistakes_are_refused_with_their_key(build: Any, where: str, reason: str) -> None:
    with pytest.raises(RoutingConfigError) as caught:
        build()
    assert str(caught.value).startswith(f"{where}: ")
    assert reason in caught.value.reason


def test_paths_quote_line_code_names_that_are_not_identifiers() -> None:
    path = ("line_codes", "1700 Andere Vragen", "weight")
    assert format_path(path) == "line_codes['1700 Andere Vragen'].weight"
    with pytest.raises(RoutingConfigError, match=r"^line_codes\['1700 Andere Vragen'\]\.weight: "):
        raise RoutingConfigError(path, "must be greater than 0")


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
