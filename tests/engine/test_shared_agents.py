"""The agent book as a replica of the shared agent pool (several nodes): other nodes' changes
come in as ``AgentShared`` inputs (acd.state.pool) and decide what this node may offer."""

from __future__ import annotations

import itertools
from datetime import timedelta

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.core import EngineCore
from foundation.contact import Activity, AgentEvent, Presence
from tests.engine.test_core import T0, Harness, make_config, of, only


class HeldElsewhere:
    """Reservations where some agents are held by another node until released there."""

    def __init__(self, *held: str) -> None:
        self.held = set(held)
        self.ours: dict[str, str] = {}

    def try_reserve(self, agent_id: str, contact_id: str) -> bool:
        if agent_id in self.held or agent_id in self.ours:
            return False
        self.ours[agent_id] = contact_id
        return True

    def release(self, agent_id: str) -> None:
        self.ours.pop(agent_id, None)


def node(reservations: HeldElsewhere | None = None) -> Harness:
    h = Harness()
    counter = itertools.count(1)
    h.core = EngineCore(
        make_config(), ids=lambda p: f"{p}-{next(counter)}", reservations=reservations
    )
    return h


def available(agent_id: str, idle_since_s: float = 0.0) -> inp.AgentShared:
    return inp.AgentShared(
        agent_id,
        presence=inp.SharedPresence(Presence.AVAILABLE, None, T0),
        activity=inp.SharedActivity(Activity.IDLE, T0 + timedelta(seconds=idle_since_s)),
    )


def busy(agent_id: str, activity: Activity) -> inp.AgentShared:
    return inp.AgentShared(agent_id, activity=inp.SharedActivity(activity, None))


def agent_events(out: list[cmd.Command]) -> list[AgentEvent]:
    return [c.event for c in out if isinstance(c, cmd.Emit) and isinstance(c.event, AgentEvent)]


def test_an_agent_logged_in_on_another_node_is_offered_this_nodes_caller() -> None:
    h = node()
    out = h.feed(available("a1"))
    [event] = agent_events(out)
    assert (event.presence, event.activity, event.remote) == (
        Presence.AVAILABLE,
        Activity.IDLE,
        True,
    )
    originate = only(h.queue(), cmd.Originate)
    assert originate is not None
    assert originate.endpoint == "PJSIP/1001"


def test_an_agent_busy_on_another_node_waits_until_the_feed_says_idle() -> None:
    h = node()
    h.feed(available("a1"))
    h.feed(busy("a1", Activity.RINGING))
    assert only(h.queue(), cmd.Originate) is None  # a1 rings for another node's caller
    h.feed(busy("a1", Activity.ON_CALL), after_s=5)
    out = h.feed(available("a1", idle_since_s=200), after_s=200)
    assert only(out, cmd.Originate).endpoint == "PJSIP/1001"
    assert h.core.agents["a1"].activity is Activity.RESERVED


def test_the_loser_of_a_race_offers_the_agent_again_once_the_holder_lets_go() -> None:
    reservations = HeldElsewhere("a1")
    h = node(reservations)
    h.feed(available("a1"))  # idle here: the other node's "reserved" is still on its way
    assert only(h.queue(), cmd.Originate) is None  # the race is lost: the caller waits
    assert h.core.agents["a1"].activity is Activity.IDLE
    reservations.held.clear()  # the other node's call ended and it let go
    out = h.feed(inp.AgentShared("a1", released=True), after_s=60)
    assert only(out, cmd.Originate).endpoint == "PJSIP/1001"


def test_another_nodes_activity_does_not_undo_this_nodes_offer() -> None:
    h = node()
    h.feed(available("a1"))
    originate = only(h.queue(), cmd.Originate)
    assert originate is not None
    # A stale change from the node that had a1 before: a1 is ours now (our reservation).
    out = h.feed(busy("a1", Activity.IDLE))
    assert h.core.agents["a1"].activity is Activity.RESERVED
    assert of(out, cmd.Originate) == []
    # Presence is the agent's own, wherever it was set: it still applies.
    h.feed(inp.AgentShared("a1", presence=inp.SharedPresence(Presence.NOT_AVAILABLE, "lunch", T0)))
    assert (h.core.agents["a1"].presence, h.core.agents["a1"].reason) == (
        Presence.NOT_AVAILABLE,
        "lunch",
    )
    assert h.core.agents["a1"].activity is Activity.RESERVED


def test_counters_from_another_node_rank_the_agents_here() -> None:
    h = node()
    counters = inp.SharedCounters(T0.date(), 7, 1200.0, 0)
    h.feed(inp.AgentShared("a1", counters=counters))
    agent = h.core.agents["a1"]
    assert (agent.contacts_today, agent.talk_time_today_s, agent.stats_day) == (
        7,
        1200.0,
        T0.date(),
    )
