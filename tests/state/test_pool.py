"""The shared agent pool (acd.state.pool): each node's changes go to the store and the feed,
the others' come back as core inputs, and every node ends with the feed's last change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from acd.engine import inputs as inp
from acd.state import MemoryStateStore, StateStore
from acd.state.pool import SharedPool
from foundation.contact import Activity, AgentEvent, AgentRecord, Presence

T0 = datetime(2027, 3, 30, 7, 0, tzinfo=UTC)
SKILLS = {"a1": {"1700": 3}, "a2": {"1700": 1}}


def event(
    agent_id: str,
    presence: Presence = Presence.AVAILABLE,
    activity: Activity = Activity.IDLE,
    reason: str | None = None,
    *,
    contacts: int = 0,
    remote: bool = False,
) -> AgentEvent:
    record = AgentRecord(agent_id, presence, reason, T0, T0, T0.date(), contacts, 0.0, 0, T0)
    return AgentEvent(agent_id, T0, presence, activity, reason, None, None, record, remote)


class Node:
    def __init__(self, store: StateStore, name: str) -> None:
        self.inputs: list[inp.Input] = []
        self.pool = SharedPool(store, name, self.inputs.append, SKILLS, block_s=0.5)

    def shared(self) -> list[inp.AgentShared]:
        return [i for i in self.inputs if isinstance(i, inp.AgentShared)]


@pytest.fixture
async def nodes() -> AsyncIterator[tuple[StateStore, Node, Node]]:
    store = MemoryStateStore()
    a, b = Node(store, "node-a"), Node(store, "node-b")
    for node in (a, b):
        node.pool.apply(await node.pool.load(), starting=True)
        await node.pool.start()
    yield store, a, b
    for node in (a, b):
        await node.pool.stop()


async def settle(*nodes: Node) -> None:
    for node in nodes:
        await node.pool.flush()
    await asyncio.sleep(0.1)  # virtual time: the readers catch up


async def test_a_login_on_one_node_reaches_the_other_and_the_store(nodes) -> None:
    store, a, b = nodes
    a.pool.agent_event(event("a1"))
    await settle(a)
    [change] = b.shared()
    assert change.agent_id == "a1"
    assert change.presence == inp.SharedPresence(Presence.AVAILABLE, None, T0)
    assert change.activity == inp.SharedActivity(Activity.IDLE, T0)
    assert change.counters == inp.SharedCounters(T0.date(), 0, 0.0, 0)
    assert a.shared() == []  # its own change is not applied twice
    shared = await store.agent("a1")
    assert shared is not None
    assert (shared.presence, shared.activity, dict(shared.skills)) == (
        "available",
        "idle",
        {"1700": 3},
    )


async def test_only_what_changed_is_sent_and_remote_events_are_not_sent_back(nodes) -> None:
    _, a, b = nodes
    a.pool.agent_event(event("a1"))
    await settle(a)
    a.pool.agent_event(event("a1", activity=Activity.RINGING))
    b.pool.agent_event(event("a2", remote=True))  # b's replica following someone: not b's
    await settle(a, b)
    _, second = b.shared()
    assert (second.presence, second.counters) == (None, None)
    assert second.activity is not None
    assert second.activity.activity is Activity.RINGING
    assert a.shared() == []


async def test_two_nodes_changing_one_agent_at_once_end_with_the_feeds_last_change(
    nodes,
) -> None:
    store, a, b = nodes
    # Both change a1's presence before either change is in the feed: a's is written first.
    a.pool.agent_event(event("a1", Presence.NOT_AVAILABLE, reason="lunch"))
    b.pool.agent_event(event("a1", Presence.AVAILABLE))
    await settle(a, b)
    # b's change is later in the feed: a takes it, b ignores a's older one.
    assert [c.presence for c in a.shared()] == [inp.SharedPresence(Presence.AVAILABLE, None, T0)]
    assert all(c.presence is None for c in b.shared())
    shared = await store.agent("a1")
    assert shared is not None
    assert (shared.presence, shared.reason) == ("available", None)


async def test_a_release_on_another_node_is_passed_on(nodes) -> None:
    store, a, b = nodes
    assert await store.reserve("a1", "c1", "node-a")
    assert await store.release_announced("a1", "c1", "node-a")
    await settle()
    assert b.shared() == [inp.AgentShared("a1", released=True)]
    assert a.shared() == []


async def test_agents_a_reap_set_idle_are_announced_to_every_node_the_reaper_too(
    nodes,
) -> None:
    store, a, b = nodes
    b.pool.agent_event(event("a1", activity=Activity.RINGING))
    await settle(b)
    await store.renew("node-b", 0.0, 1)
    assert await store.reserve("a1", "c1", "node-b")
    assert await store.reap(100.0, 15.0) == {"node-b": ["a1"]}
    await a.pool.announce(["a1"])
    await settle()
    last = a.shared()[-1]
    assert last.activity is not None
    assert last.activity.activity is Activity.IDLE


async def test_a_node_starting_takes_the_pool_but_not_its_own_offers_of_before() -> None:
    store = MemoryStateStore()
    before = Node(store, "node-a")
    other = Node(store, "node-b")
    before.pool.agent_event(event("a1", activity=Activity.RINGING))  # node-a rang a1, died
    other.pool.agent_event(event("a2", activity=Activity.ON_CALL, contacts=4))
    for node in (before, other):
        await node.pool.start()
    await settle(before, other)
    for node in (before, other):
        await node.pool.stop()

    restarted = Node(store, "node-a")
    snapshot = await restarted.pool.load()
    assert restarted.pool.known(snapshot) == {"a1", "a2"}
    restarted.pool.apply(snapshot, starting=True)
    by_agent = {c.agent_id: c for c in restarted.shared()}
    assert by_agent["a1"].activity is None  # the recovery from ARI takes its call up
    assert by_agent["a1"].presence is not None
    assert by_agent["a2"].activity == inp.SharedActivity(Activity.ON_CALL, T0)
    assert by_agent["a2"].counters == inp.SharedCounters(T0.date(), 4, 0.0, 0)
    assert all(c.released for c in by_agent.values())


async def test_a_change_this_version_cannot_read_is_skipped_and_the_rest_followed(
    nodes, caplog: pytest.LogCaptureFixture
) -> None:
    store, a, b = nodes
    await store.share_agents("node-x", [("a1", {"presence": "on_holiday"})])
    a.pool.agent_event(event("a2"))
    await settle(a)
    assert [c.agent_id for c in b.shared()] == ["a2"]
    assert "agent a1's shared change {'presence': 'on_holiday'} skipped" in caplog.text


async def test_a_store_that_came_back_empty_gets_the_agents_again_from_sql() -> None:
    before = MemoryStateStore()
    a, b = Node(before, "node-a"), Node(before, "node-b")
    a.pool.agent_event(event("a1", Presence.NOT_AVAILABLE, Activity.ON_CALL, "lunch", contacts=4))
    await a.pool.write_queued()
    emptied = MemoryStateStore()  # Redis restarted without its append-only file
    a.pool.store = b.pool.store = emptied
    sql = [
        AgentRecord("a1", Presence.NOT_AVAILABLE, "lunch", T0, T0, T0.date(), 4, 120.0, 0, T0),
    ]

    async def load_stored() -> list[AgentRecord]:
        return sql

    assert await a.pool.restore_missing(load_stored) == ["a1", "a2"]

    shared = await emptied.agent("a1")
    assert shared is not None
    assert (shared.presence, shared.reason, dict(shared.skills)) == (
        "not_available",
        "lunch",
        {"1700": 3},
    )
    assert (await emptied.agent("a2")) is not None  # its skills, so a login has a record
    # The other node learns the presence and counters, never an activity: an agent talking
    # somewhere must not look idle before its node has reasserted the reservation.
    await b.pool.read_feed()
    change = next(c for c in b.shared() if c.agent_id == "a1")
    assert change.presence == inp.SharedPresence(Presence.NOT_AVAILABLE, "lunch", T0)
    assert change.counters == inp.SharedCounters(T0.date(), 4, 120.0, 0)
    assert change.activity is None
    # This node's next change of the agent writes every part again, its activity too.
    a.pool.agent_event(event("a1", Presence.NOT_AVAILABLE, Activity.WRAP_UP, "lunch", contacts=4))
    await a.pool.write_queued()
    shared = await emptied.agent("a1")
    assert shared is not None
    assert shared.activity == "wrap_up"
    # Nothing missing: nothing written.
    assert await a.pool.restore_missing(load_stored) == []
