"""Agent selection policies: a registry of ranking keys keyed by :class:`Policy`.

A ranking key is a pure function of a free agent's snapshot (its level on the skill used and
its :class:`AgentStats`) returning a tuple; the smallest tuple wins.  Adding a policy is one
enum member and one decorated function here.  Ties between agents are broken by the router
(by agent id), so a key need not be unique.

Both routers keep each free agent in one ordered index per (skill, level, policy), which is
why a key may only look at the level and the stats: never at the contact or at the clock.
"""

from __future__ import annotations

from collections.abc import Callable

from skills.model import AgentStats, Policy, RankKey

RankFn = Callable[[int, AgentStats], RankKey]

RANKINGS: dict[Policy, RankFn] = {}


def ranking(policy: Policy) -> Callable[[RankFn], RankFn]:
    def register(fn: RankFn) -> RankFn:
        RANKINGS[policy] = fn
        return fn

    return register


@ranking(Policy.LONGEST_IDLE)
def longest_idle(level: int, stats: AgentStats) -> RankKey:
    return (stats.idle_since,)


@ranking(Policy.MOST_PROFICIENT)
def most_proficient(level: int, stats: AgentStats) -> RankKey:
    return (-level, stats.idle_since)


@ranking(Policy.FEWEST_CONTACTS)
def fewest_contacts(level: int, stats: AgentStats) -> RankKey:
    return (stats.contacts_today, stats.idle_since)


@ranking(Policy.LEAST_TALK_TIME)
def least_talk_time(level: int, stats: AgentStats) -> RankKey:
    return (stats.talk_time_today_s, stats.idle_since)


@ranking(Policy.ROUND_ROBIN)
def round_robin(level: int, stats: AgentStats) -> RankKey:
    # The agent whose last offer is the oldest goes next; idle time breaks ties between
    # agents never offered anything today (all at sequence 0).
    return (stats.last_offered_seq, stats.idle_since)


def rank(policy: Policy, level: int, stats: AgentStats) -> RankKey:
    return RANKINGS[policy](level, stats)


_missing = set(Policy) - set(RANKINGS)
if _missing:  # pragma: no cover - a new enum member without its function fails at import
    raise RuntimeError(f"policies without a ranking key: {sorted(_missing)}")
