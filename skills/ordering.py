"""The two orders routing decides by, in one place so both routers compare identically.

Contacts: highest priority first, then the longest *weighted* wait (waiting time times the
line code's weight), then the earliest place (``waiting_since``, then arrival sequence).  The
weighted wait depends on the clock, so a queue key is only compared with keys built at the
same ``now``; within one line code (one weight) the order never changes over time.

Agents: the policy's ranking key, then the agent id so equal keys still give one answer, then
the contact's own line code before a fallback when one agent could serve through both.
"""

from __future__ import annotations

from skills.model import RankKey

QueueKey = tuple[int, float, float, int]
ChoiceKey = tuple[RankKey, str, bool, str]


def queue_key(priority: int, waiting_since: float, seq: int, weight: float, now: float) -> QueueKey:
    return (-priority, -((now - waiting_since) * weight), waiting_since, seq)


def choice_key(rank: RankKey, agent_id: str, via: str, own_line_code: str) -> ChoiceKey:
    return (rank, agent_id, via != own_line_code, via)
