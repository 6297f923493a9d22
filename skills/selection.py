"""The engine's first selector, kept until the engine switches to :class:`skills.router.Router`.

``select_agent(candidates, policy)`` ranks a snapshot of free agents that carry only an idle
time and a level; it knows the policies that need nothing more (longest idle, most
proficient).  The other policies need :class:`skills.model.AgentStats` and live in
:mod:`skills.policies`, used by the router.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from skills.model import Policy

__all__ = ["Candidate", "Policy", "select_agent"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """What routing may know of an agent: an eligible, idle, available agent."""

    agent_id: str
    idle_since: datetime
    level: int = 3


_LegacyKey = tuple[object, ...]
_POLICIES: dict[Policy, Callable[[Candidate], _LegacyKey]] = {
    # Ties are broken by id so the choice is deterministic.
    Policy.LONGEST_IDLE: lambda c: (c.idle_since, c.agent_id),
    Policy.MOST_PROFICIENT: lambda c: (-c.level, c.idle_since, c.agent_id),
}


def select_agent(
    candidates: Iterable[Candidate], policy: Policy = Policy.LONGEST_IDLE
) -> Candidate | None:
    """The best candidate under ``policy``, or None when there is none."""
    key = _POLICIES.get(policy)
    if key is None:
        raise ValueError(f"policy {policy} needs agent stats: route with skills.router.Router")
    return min(candidates, key=key, default=None)
