"""Hypothesis over interleavings of two nodes' operations on one shared store.

Each example is one interleaving: a list of (node, operation) in the order the store sees
them (each operation is atomic, so any concurrent run is one such order).  A plain model says
what every answer must be; after each step the store's reservations and queue must match it.
So: no agent is ever reserved twice, a released agent is reservable again (also after its
node left), a late release never undoes another node's reservation, and no contact is taken
(served) twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.state import MemoryStateStore, RedisStateStore, StateStore, StateStoreError

NODES = ("A", "B")
AGENTS = ("a1", "a2", "a3")
CONTACTS = ("c1", "c2", "c3", "c4")
LINE = "1700"

_node = st.sampled_from(NODES)
_agent = st.sampled_from(AGENTS)
_contact = st.sampled_from(CONTACTS)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("enqueue"), _node, _contact),
        st.tuples(st.just("take_next"), _node),
        st.tuples(st.just("take"), _node, _contact),
        st.tuples(st.just("reserve"), _node, _agent, _contact),
        st.tuples(st.just("release"), _node, _agent),
        st.tuples(st.just("leave"), _node),
    ),
    max_size=40,
)


@dataclass
class Model:
    reserved: dict[str, tuple[str, str]] = field(default_factory=dict)  # agent -> contact, node
    waiting: list[str] = field(default_factory=list)
    # What each node believes it holds (a node that left keeps its stale belief).
    held: dict[str, dict[str, str]] = field(default_factory=lambda: {n: {} for n in NODES})
    served: list[str] = field(default_factory=list)  # every contact taken, in order
    enqueued: list[str] = field(default_factory=list)


async def _enqueue(store: StateStore, model: Model, node: str, contact: str) -> None:
    if contact in model.waiting:
        with pytest.raises(StateStoreError):
            await store.enqueue(contact, LINE, 0, 0.0, node)
        return
    await store.enqueue(contact, LINE, 0, 0.0, node)
    model.waiting.append(contact)
    model.enqueued.append(contact)


async def _take_next(store: StateStore, model: Model, node: str) -> None:
    taken = await store.take_next(LINE)
    expected = model.waiting.pop(0) if model.waiting else None
    assert (taken.contact_id if taken else None) == expected
    if expected is not None:
        model.served.append(expected)


async def _take(store: StateStore, model: Model, node: str, contact: str) -> None:
    taken = await store.take(contact)
    assert (taken is not None) == (contact in model.waiting)
    if taken is not None:
        model.waiting.remove(contact)
        model.served.append(contact)


async def _reserve(store: StateStore, model: Model, node: str, agent: str, contact: str) -> None:
    won = await store.reserve(agent, contact, node)
    held = model.reserved.get(agent)
    assert won == (held is None or held == (contact, node)), f"{agent} held by {held}"
    if won:
        model.reserved[agent] = (contact, node)
        model.held[node][agent] = contact


async def _release(store: StateStore, model: Model, node: str, agent: str) -> None:
    contact = model.held[node].pop(agent, None)
    if contact is None:
        return  # the node holds nothing to release
    released = await store.release(agent, contact, node)
    assert released == (model.reserved.get(agent) == (contact, node))
    if released:
        del model.reserved[agent]


async def _leave(store: StateStore, model: Model, node: str) -> None:
    released = await store.leave(node, 0.0)
    mine = sorted(a for a, (_, n) in model.reserved.items() if n == node)
    assert released == mine
    for agent in mine:
        del model.reserved[agent]


STEPS: dict[str, Callable[..., Awaitable[None]]] = {
    "enqueue": _enqueue,
    "take_next": _take_next,
    "take": _take,
    "reserve": _reserve,
    "release": _release,
    "leave": _leave,
}


async def _check(store: StateStore, model: Model) -> None:
    for agent in AGENTS:
        held = await store.reservation(agent)
        expected = model.reserved.get(agent)
        assert (None if held is None else (held.contact_id, held.node_id)) == expected
    assert [c.contact_id for c in await store.waiting(LINE)] == model.waiting
    # Served at most once per time it was queued: nothing is served twice, nothing lost.
    for contact in CONTACTS:
        times_queued = model.enqueued.count(contact)
        assert model.served.count(contact) + model.waiting.count(contact) == times_queued


async def _run(store: StateStore, ops: list[tuple[str, ...]]) -> None:
    model = Model()
    for op in ops:
        await STEPS[op[0]](store, model, *op[1:])
        await _check(store, model)


@given(ops=OPS)
async def test_interleavings_on_the_memory_store(ops: list[tuple[str, ...]]) -> None:
    await _run(MemoryStateStore(), ops)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
async def test_interleavings_on_the_redis_store(
    redis_stores: Callable[[], RedisStateStore], ops: list[tuple[str, ...]]
) -> None:
    await _run(redis_stores(), ops)  # a fresh prefix: a fresh shared state per example
