"""Step arithmetic, table-tested: which step applies after N seconds, skipping, priorities."""

from __future__ import annotations

import pytest

from skills.model import LineCodeRouting, Policy, RoutingConfig, Step
from skills.steps import Plans, StepPlan

WIDENING = LineCodeRouting(
    steps=(
        Step(0, min_level=4),
        Step(30),
        Step(90, fallback={"1700 Andere Vragen": 1}, priority=2),
    )
)
PLAN = StepPlan.compile("Wonen", WIDENING)


@pytest.mark.parametrize(
    ("waited", "time_step", "next_start"),
    [
        (0.0, 0, 130.0),
        (29.999, 0, 130.0),
        (30.0, 1, 190.0),
        (89.5, 1, 190.0),
        (90.0, 2, None),
        (3600.0, 2, None),
        (-5.0, 0, 130.0),  # a clock read a little early never means "before the first step"
    ],
)
def test_time_step_after_waiting(waited: float, time_step: int, next_start: float | None) -> None:
    assert PLAN.time_step(100.0, 100.0 + waited) == time_step
    assert PLAN.next_start(100.0, time_step) == next_start


def test_admissions_put_the_own_line_code_first_then_fallbacks_by_name() -> None:
    plan = StepPlan.compile(
        "X",
        LineCodeRouting(
            steps=(Step(0, min_level=3), Step(10, min_level=3, fallback={"Z": 2, "Y": 4}))
        ),
    )
    assert plan.admissions == ((("X", 3),), (("X", 3), ("Y", 4), ("Z", 2)))


def test_a_default_fallback_to_the_own_line_code_lowers_its_minimum_level() -> None:
    default = LineCodeRouting(
        steps=(Step(0, min_level=3), Step(90, min_level=3, fallback={"A": 1}))
    )
    plan = StepPlan.compile("A", default)
    assert plan.admissions == ((("A", 3),), (("A", 1),))


@pytest.mark.parametrize(
    ("skip_flags", "matchable_steps", "open_from"),
    [
        # Someone could serve step 0: nothing is skipped.
        ((True, True, True), {0, 1, 2}, (0, 1, 2)),
        # Nobody logged in at level 4: step 0 is passed over at once.
        ((True, True, True), {1, 2}, (1, 1, 2)),
        # Nobody for steps 0 and 1: straight to the fallback step.
        ((True, True, True), {2}, (2, 2, 2)),
        # The last step is never skipped, even with nobody logged in: it is where one waits.
        ((True, True, True), set(), (2, 2, 2)),
        # A step without skip_if_no_agents is waited out even when nobody could match it.
        ((False, True, True), {2}, (0, 2, 2)),
        ((True, False, True), {2}, (1, 1, 2)),
    ],
)
def test_skipping_steps_nobody_logged_in_could_match(
    skip_flags: tuple[bool, ...], matchable_steps: set[int], open_from: tuple[int, ...]
) -> None:
    steps = tuple(
        Step(s.after_s, s.min_level, s.fallback, s.priority, skip)
        for s, skip in zip(WIDENING.steps, skip_flags, strict=True)
    )
    plan = StepPlan.compile("Wonen", LineCodeRouting(steps=steps))
    by_admissions = {plan.admissions[i]: i in matchable_steps for i in range(3)}
    assert plan.open_from(lambda adms: by_admissions[adms]) == open_from


@pytest.mark.parametrize(
    ("time_step", "open_from", "next_change"),
    [
        (0, (0, 1, 2), 130.0),
        (1, (0, 1, 2), 190.0),
        (2, (0, 1, 2), None),
        (0, (1, 1, 2), 190.0),  # skipped to step 1 at once: 30 s changes nothing
        (0, (2, 2, 2), None),  # already at the last step
    ],
)
def test_when_the_step_next_changes(
    time_step: int, open_from: tuple[int, ...], next_change: float | None
) -> None:
    assert PLAN.next_change(100.0, time_step, open_from) == next_change


@pytest.mark.parametrize(
    ("priorities", "own", "expected"),
    [
        ((None, None, None), 0, (0, 0, 0)),
        ((None, None, None), 7, (7, 7, 7)),  # a callback keeps its own priority
        ((None, 3, None), 0, (0, 3, 3)),  # a step's priority holds from that step on
        ((None, 3, None), 5, (5, 5, 5)),  # and never lowers a callback's higher own priority
        ((1, None, 4), 2, (2, 2, 4)),
        ((3, None, 1), 0, (3, 3, 3)),  # a later, lower step priority lowers nothing
    ],
)
def test_priority_from_each_step_on(
    priorities: tuple[int | None, ...], own: int, expected: tuple[int, ...]
) -> None:
    steps = tuple(Step(float(i * 10), priority=p) for i, p in enumerate(priorities))
    plan = StepPlan.compile("X", LineCodeRouting(steps=steps))
    assert tuple(plan.priority(own, i) for i in range(3)) == expected


def test_only_skippable_steps_are_watched_for_logins() -> None:
    assert PLAN.watch == {("Wonen", 4), ("Wonen", 1)}  # not the last step's fallback


def test_policies_per_skill_cover_own_fallback_users_and_default() -> None:
    config = RoutingConfig(
        {
            "A": LineCodeRouting(policy=Policy.MOST_PROFICIENT),
            "B": LineCodeRouting(
                steps=(Step(0), Step(60, fallback={"A": 1})), policy=Policy.ROUND_ROBIN
            ),
        },
        default=LineCodeRouting(
            steps=(Step(0), Step(90, fallback={"A": 2})), policy=Policy.FEWEST_CONTACTS
        ),
    )
    plans = Plans(config)
    assert set(plans.policies_for_skill("A")) == {
        Policy.MOST_PROFICIENT,
        Policy.ROUND_ROBIN,
        Policy.FEWEST_CONTACTS,
    }
    assert plans.policies_for_skill("B") == (Policy.ROUND_ROBIN,)
    assert plans.policies_for_skill("unlisted") == (Policy.FEWEST_CONTACTS,)
