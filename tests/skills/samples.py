"""Sample agents: one that wins under each policy (see test_policies and test_router)."""

from __future__ import annotations

from skills.model import AgentStats

# id: (level on the line code, stats)
AGENTS = {
    "idle-longest": (
        2,
        AgentStats(idle_since=10.0, contacts_today=9, talk_time_today_s=900.0, last_offered_seq=9),
    ),
    "expert": (
        5,
        AgentStats(idle_since=50.0, contacts_today=5, talk_time_today_s=600.0, last_offered_seq=5),
    ),
    "quiet-day": (
        3,
        AgentStats(idle_since=40.0, contacts_today=1, talk_time_today_s=700.0, last_offered_seq=7),
    ),
    "short-calls": (
        3,
        AgentStats(idle_since=45.0, contacts_today=4, talk_time_today_s=100.0, last_offered_seq=8),
    ),
    "next-in-turn": (
        1,
        AgentStats(idle_since=60.0, contacts_today=3, talk_time_today_s=500.0, last_offered_seq=2),
    ),
}
