"""Hypothesis strategies for routing configurations, agents and their stats.

Small pools of line codes, agents and values on purpose: collisions (ties on idle time, two
agents on one skill, a fallback used by two line codes) are where routing bugs live.
"""

from __future__ import annotations

from hypothesis import strategies as st

from skills.model import AgentStats, LineCodeRouting, Policy, RoutingConfig, Step

LINE_CODES = ("A", "B", "C", "D")
UNCONFIGURED = "E"  # contacts may also ask for a line code with no routing entry
AGENTS = ("a0", "a1", "a2", "a3", "a4", "a5")
OFFSETS = (5.0, 10.0, 30.0, 90.0)


@st.composite
def steps_for(draw: st.DrawFn, line_code: str) -> tuple[Step, ...]:
    """Widening steps: min levels never rise, fallbacks only grow and their levels never rise."""
    count = draw(st.integers(1, 3))
    offsets = [
        0.0,
        *sorted(draw(st.sets(st.sampled_from(OFFSETS), min_size=count - 1, max_size=count - 1))),
    ]
    others = [code for code in LINE_CODES if code != line_code]
    min_level = draw(st.integers(1, 5))
    fallback: dict[str, int] = {}
    steps = []
    for after in offsets:
        min_level = draw(st.integers(1, min_level))
        fallback = {name: draw(st.integers(1, level)) for name, level in fallback.items()}
        if draw(st.booleans()):
            name = draw(st.sampled_from(others))
            fallback[name] = draw(st.integers(1, fallback.get(name, 5)))
        steps.append(
            Step(
                after_s=after,
                min_level=min_level,
                fallback=dict(fallback),
                priority=draw(st.none() | st.integers(0, 3)),
                skip_if_no_agents=draw(st.booleans()),
            )
        )
    return tuple(steps)


@st.composite
def line_code_routings(draw: st.DrawFn, line_code: str) -> LineCodeRouting:
    return LineCodeRouting(
        steps=draw(steps_for(line_code)),
        policy=draw(st.sampled_from(list(Policy))),
        weight=draw(st.sampled_from([0.5, 1.0, 2.0])),
    )


@st.composite
def routing_configs(draw: st.DrawFn) -> RoutingConfig:
    configured = draw(st.lists(st.sampled_from(LINE_CODES), unique=True))
    routing = {code: draw(line_code_routings(code)) for code in configured}
    # The default may fall back to "A" (then an "A" contact just gets a lower minimum level).
    default = draw(st.just(LineCodeRouting()) | line_code_routings("E"))
    return RoutingConfig(routing, default)


skill_maps = st.dictionaries(st.sampled_from(LINE_CODES), st.integers(1, 5), min_size=1, max_size=4)

agent_stats = st.builds(
    AgentStats,
    idle_since=st.sampled_from([0.0, 1.0, 2.0, 3.0]),
    contacts_today=st.integers(0, 2),
    talk_time_today_s=st.sampled_from([0.0, 60.0, 120.0]),
    last_offered_seq=st.integers(0, 3),
)
