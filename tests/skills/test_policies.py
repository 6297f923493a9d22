"""Each policy's ranking key, table-tested: the smallest key wins."""

from __future__ import annotations

import pytest

from skills.model import AgentStats, Policy
from skills.policies import RANKINGS, rank
from tests.skills.samples import AGENTS

STATS = AgentStats(
    idle_since=100.0, contacts_today=7, talk_time_today_s=1800.0, last_offered_seq=42
)


def test_every_policy_has_a_ranking_key() -> None:
    assert set(RANKINGS) == set(Policy)


@pytest.mark.parametrize(
    ("policy", "level", "key"),
    [
        (Policy.LONGEST_IDLE, 3, (100.0,)),
        (Policy.MOST_PROFICIENT, 3, (-3, 100.0)),
        (Policy.MOST_PROFICIENT, 5, (-5, 100.0)),
        (Policy.FEWEST_CONTACTS, 3, (7, 100.0)),
        (Policy.LEAST_TALK_TIME, 3, (1800.0, 100.0)),
        (Policy.ROUND_ROBIN, 3, (42, 100.0)),
    ],
)
def test_ranking_key(policy: Policy, level: int, key: tuple[float, ...]) -> None:
    assert rank(policy, level, STATS) == key


@pytest.mark.parametrize(
    ("policy", "winner"),
    [
        (Policy.LONGEST_IDLE, "idle-longest"),
        (Policy.MOST_PROFICIENT, "expert"),
        (Policy.FEWEST_CONTACTS, "quiet-day"),
        (Policy.LEAST_TALK_TIME, "short-calls"),
        (Policy.ROUND_ROBIN, "next-in-turn"),
    ],
)
def test_who_wins_under_each_policy(policy: Policy, winner: str) -> None:
    best = min(AGENTS, key=lambda agent: rank(policy, *AGENTS[agent]))
    assert best == winner


def test_idle_time_breaks_ties_in_every_policy_but_longest_idle_itself() -> None:
    early, late = AgentStats(idle_since=1.0), AgentStats(idle_since=2.0)
    for policy in Policy:
        assert rank(policy, 3, early) < rank(policy, 3, late)
