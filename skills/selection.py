"""Choosing an agent for a contact: a pure function over a snapshot of candidates.

Policies are ranking keys registered under an enum; the smallest key wins.  No I/O here: the
dispatcher in ``acd.engine`` builds the snapshot, calls :func:`select_agent`, and reserves the
winner in a separate step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Policy(StrEnum):
    LONGEST_IDLE = "longest_idle"


@dataclass(frozen=True, slots=True)
class Candidate:
    """What routing may know of an agent: an eligible, idle, available agent."""

    agent_id: str
    idle_since: datetime
    level: int = 3


RankKey = tuple[object, ...]
_POLICIES: dict[Policy, Callable[[Candidate], RankKey]] = {
    # Ties on idle time are broken by id so the choice is deterministic.
    Policy.LONGEST_IDLE: lambda c: (c.idle_since, c.agent_id),
}


def select_agent(
    candidates: Iterable[Candidate], policy: Policy = Policy.LONGEST_IDLE
) -> Candidate | None:
    """The best candidate under ``policy``, or None when there is none."""
    return min(candidates, key=_POLICIES[policy], default=None)
