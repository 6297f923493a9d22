"""The contract of the agent feed (the shared agent pool, acd.state.pool): the same tests on
the in-memory store and on the Redis one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from acd.state import RedisStateStore, SharedAgent, StateStore


async def test_a_shared_change_sets_the_record_and_is_in_the_feed_in_order(
    state_store: StateStore,
) -> None:
    first = await state_store.pool_snapshot()
    assert (first.last_id, dict(first.agents)) == ("0-0", {})
    ids = await state_store.share_agents(
        "node-a",
        [
            ("a1", {"presence": "available", "skills": '{"1700": 5}', "idle_since": "10.5"}),
            ("a2", {"presence": "not_available", "reason": "lunch", "since": "3.0"}),
            ("a1", {"activity": "ringing", "activity_node": "node-a", "idle_since": ""}),
        ],
    )
    assert len(ids) == 3
    changes = await state_store.agent_changes("0-0")
    assert [(c.entry_id, c.agent_id, c.node_id, c.released) for c in changes] == [
        (ids[0], "a1", "node-a", False),
        (ids[1], "a2", "node-a", False),
        (ids[2], "a1", "node-a", False),
    ]
    assert changes[2].fields == {"activity": "ringing", "activity_node": "node-a", "idle_since": ""}
    # The record is every change merged, "" clearing a field; a new one starts logged out.
    assert await state_store.agent("a1") == SharedAgent(
        "a1", "available", "ringing", {"1700": 5}, None, None
    )
    assert await state_store.agent("a2") == SharedAgent("a2", "not_available", "idle", {}, "lunch")
    snapshot = await state_store.pool_snapshot()
    assert snapshot.last_id == ids[2]
    assert dict(snapshot.agents) == {
        "a1": {
            "presence": "available",
            "activity": "ringing",
            "skills": '{"1700": 5}',
            "activity_node": "node-a",
        },
        "a2": {
            "presence": "not_available",
            "activity": "idle",
            "skills": "{}",
            "reason": "lunch",
            "since": "3.0",
        },
    }
    # Reading after an entry gives what came later only.
    assert [c.entry_id for c in await state_store.agent_changes(ids[0])] == ids[1:]
    assert await state_store.agent_changes(ids[2]) == []
    assert [c.entry_id for c in await state_store.agent_changes("0-0", count=2)] == ids[:2]


async def test_a_release_is_announced_only_when_it_happened(state_store: StateStore) -> None:
    assert await state_store.reserve("a1", "c1", "node-a")
    assert not await state_store.release_announced("a1", "c1", "node-b")  # not its holder
    assert await state_store.agent_changes("0-0") == []
    assert await state_store.release_announced("a1", "c1", "node-a")
    [change] = await state_store.agent_changes("0-0")
    assert (change.agent_id, change.node_id, change.released, dict(change.fields)) == (
        "a1",
        "node-a",
        True,
        {},
    )
    assert await state_store.reservation("a1") is None


async def test_a_reaped_nodes_agents_are_announced_whole(state_store: StateStore) -> None:
    await state_store.share_agents(
        "node-b", [("a1", {"presence": "available", "activity": "ringing"})]
    )
    await state_store.renew("node-b", 0.0, 1)
    assert await state_store.reserve("a1", "c1", "node-b")
    reaped = await state_store.reap(100.0, 15.0)
    assert reaped == {"node-b": ["a1"]}
    await state_store.announce_agents("node-a", [*reaped["node-b"], "nobody"])
    *_, last = await state_store.agent_changes("0-0")
    assert (last.agent_id, last.node_id) == ("a1", "node-a")
    assert last.fields == {
        "presence": "available",
        "activity": "idle",
        "skills": "{}",
        "idle_since": "100.0",
    }


async def test_a_blocking_read_wakes_for_the_next_change(state_store: StateStore) -> None:
    reader = asyncio.ensure_future(state_store.agent_changes("0-0", block_s=5.0))
    await asyncio.sleep(0.01)
    assert not reader.done()
    [entry_id] = await state_store.share_agents("node-a", [("a1", {"presence": "available"})])
    [change] = await asyncio.wait_for(reader, 5.0)
    assert change.entry_id == entry_id
    assert await state_store.agent_changes(entry_id, block_s=0.05) == []


async def test_redis_without_the_script_in_its_cache_still_takes_shared_changes(
    redis_stores: Callable[[], RedisStateStore],
) -> None:
    """After a Redis restart its script cache is empty: the batch is sent again, once."""
    store = redis_stores()
    store._share_sha = "0" * 40  # what the server answers for an unknown script: NOSCRIPT
    ids = await store.share_agents(
        "node-a", [("a1", {"presence": "available"}), ("a2", {"presence": "available"})]
    )
    assert [c.entry_id for c in await store.agent_changes("0-0")] == ids
