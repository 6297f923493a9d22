"""The engine's first selector stays importable (and right) until the engine moves to Router."""

from __future__ import annotations

from datetime import datetime

import pytest

from skills.selection import Candidate, Policy, select_agent

T0 = datetime(2026, 1, 5, 9, 0)
T1 = datetime(2026, 1, 5, 9, 5)


def test_longest_idle_with_ties_broken_by_id() -> None:
    candidates = [Candidate("b", T0), Candidate("a", T0), Candidate("c", T1)]
    assert select_agent(candidates) == Candidate("a", T0)
    assert select_agent([]) is None


def test_most_proficient_then_longest_idle() -> None:
    candidates = [Candidate("old", T0, level=3), Candidate("pro", T1, level=5)]
    assert select_agent(candidates, Policy.MOST_PROFICIENT) == Candidate("pro", T1, level=5)


def test_policies_that_need_agent_stats_point_to_the_router() -> None:
    with pytest.raises(ValueError, match=r"skills\.router\.Router"):
        select_agent([Candidate("a", T0)], Policy.ROUND_ROBIN)
