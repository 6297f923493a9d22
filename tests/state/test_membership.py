"""Node membership on the virtual clock: leases renewed, listed with their age; a node that
stops renewing is reaped by a live one, and the agents it left reserved or ringing are free."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from acd.state import MemoryStateStore, SharedAgent, StateStore
from acd.state.node import NodeMembership
from foundation.clock import Clock

START = datetime(2027, 3, 29, 10, 0, tzinfo=UTC)


def _node(store: StateStore, node_id: str, clock: Clock, calls: int) -> NodeMembership:
    return NodeMembership(
        store, node_id, clock, lease_ttl_s=15.0, renew_every_s=5.0, calls=lambda: calls
    )


async def test_a_node_that_stops_renewing_is_reaped_and_its_agents_freed(
    state_store: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(wall_start=START)
    a, b = _node(state_store, "node-a", clock, 2), _node(state_store, "node-b", clock, 1)
    await a.start()
    await b.start()
    await state_store.put_agent(SharedAgent("1001", "available", "ringing"))
    await state_store.put_agent(SharedAgent("1002", "available", "reserved"))
    assert await state_store.reserve("1001", "c1", "node-b")
    assert await state_store.reserve("1002", "c2", "node-a")
    await b.stop(leave=False)  # killed: no goodbye, its lease runs out

    await asyncio.sleep(14.0)
    listed = {n.node_id: n for n in await a.nodes()}
    assert {k: v.lease_age(a.now()) for k, v in listed.items()} == {"node-a": 4.0, "node-b": 14.0}
    assert (listed["node-a"].calls, listed["node-a"].reservations) == (2, 1)
    assert (listed["node-b"].calls, listed["node-b"].reservations) == (1, 1)

    with caplog.at_level(logging.WARNING, logger="acd.state.node"):
        await asyncio.sleep(7.0)  # node-a's renewal at 20 s finds node-b 20 s old
    assert [n.node_id for n in await a.nodes()] == ["node-a"]
    assert await state_store.reservation("1001") is None
    freed = await state_store.agent("1001")
    assert freed is not None
    assert (freed.activity, freed.idle_since) == ("idle", START.timestamp() + 20.0)
    assert await state_store.reservation("1002") is not None  # the live node's stays
    assert [r.getMessage() for r in caplog.records] == [
        "node node-b: lease expired (not renewed for 15 s); released its 1 reservation(s): 1001"
    ]
    await a.stop()
    assert await state_store.nodes() == []
    assert await state_store.reservation("1002") is None


class _FlakyStore(MemoryStateStore):
    down = False

    async def renew(self, node_id: str, now: float, calls: int, app: str = "") -> bool:
        if self.down:
            raise ConnectionError("Connection refused")
        return await super().renew(node_id, now, calls, app)


async def test_an_outage_pauses_offers_once_then_rebuilds_and_resumes_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = _FlakyStore()
    node = _node(store, "node-a", Clock(wall_start=START), 0)
    seen: list[str] = []
    node.on_lost.append(lambda: seen.append("paused"))

    async def rebuild() -> None:
        seen.append("rebuilt")

    node.on_rejoin.append(rebuild)
    await node.start()
    with caplog.at_level(logging.INFO):
        store.down = True
        await asyncio.sleep(30.0)  # renewals fail, retried with backoff (0.5, 1, 2, 4, 5 s...)
        assert (node.outage.up, seen) == (False, ["paused"])
        store.down = False
        await asyncio.sleep(6.0)  # the next retry succeeds
    assert seen == ["paused", "rebuilt"]
    assert node.outage.up
    said = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert [(name, level) for name, level, _ in said] == [
        ("acd.outages", "ERROR"),
        ("acd.outages", "WARNING"),
    ]
    assert said[0][2] == "redis outage began: node node-a: ConnectionError: Connection refused"
    assert said[1][2].startswith("redis outage over after 27.5 s")  # 5 s -> 32.5 s
    [info] = await store.nodes()
    assert START.timestamp() + 30.0 < info.renewed_at <= START.timestamp() + 36.0
    await node.stop()


async def test_a_node_the_store_forgot_rebuilds_though_no_call_failed() -> None:
    """Redis came back empty between two renewals (no persistence, or flushed): the next
    renewal joins anew, and that alone runs the rebuild."""
    store = MemoryStateStore()
    node = _node(store, "node-a", Clock(wall_start=START), 0)
    rebuilt: list[float] = []

    async def rebuild() -> None:
        rebuilt.append(node.now())

    node.on_rejoin.append(rebuild)
    await node.start()
    await asyncio.sleep(6.0)
    assert rebuilt == []
    await store.leave("node-a", node.now())  # as if Redis had lost every key
    await asyncio.sleep(5.0)
    assert rebuilt == [START.timestamp() + 10.0]
    assert node.outage.up
    assert node.outage.began == 0
    await node.stop()


async def test_a_failed_reservation_starts_the_outage_at_once() -> None:
    store = _FlakyStore()
    node = _node(store, "node-a", Clock(wall_start=START), 0)
    paused: list[bool] = []
    node.on_lost.append(lambda: paused.append(True))
    await node.start()
    store.down = True
    node.unreachable(ConnectionError("Connection refused"))
    node.unreachable(ConnectionError("Connection refused"))  # one outage, one pause
    assert paused == [True]
    assert not node.outage.up
    store.down = False
    await asyncio.sleep(0.1)  # retried at once, not at the next renewal
    assert node.outage.up
    await node.stop()


async def test_the_agents_a_reap_or_a_leave_released_are_told_to_the_pool(
    state_store: StateStore,
) -> None:
    clock = Clock(wall_start=START)
    told: list[list[str]] = []

    async def on_reaped(agents: list[str]) -> None:
        told.append(agents)

    a = NodeMembership(
        state_store,
        "node-a",
        clock,
        lease_ttl_s=15.0,
        renew_every_s=5.0,
        calls=lambda: 0,
        on_reaped=on_reaped,
    )
    b = _node(state_store, "node-b", clock, 1)
    await a.start()
    await b.start()
    assert await state_store.reserve("1001", "c1", "node-b")
    assert await state_store.reserve("1002", "c2", "node-a")
    await b.stop(leave=False)
    await asyncio.sleep(21.0)
    assert told == [["1001"]]
    await a.stop()  # leaving cleanly releases its own: told as well
    assert told == [["1001"], ["1002"]]
