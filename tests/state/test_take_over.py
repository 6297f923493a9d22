"""What a node owns, rebuilt in Redis from its own memory: a standby taking over another node's
reservations in one step, and the reassert after a take-over or a Redis that lost its keys."""

from __future__ import annotations

from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError

from acd.state import RedisStateStore
from acd.state.reservations import RedisReservations
from tests.state.conftest import REDIS_URL, drop_prefix


def _reservations(store: RedisStateStore, node: str) -> RedisReservations:
    return RedisReservations.from_url(REDIS_URL, node, store.keys.prefix)


async def test_a_standby_takes_over_the_reservations_of_the_node_it_replaces(
    redis_stores: Callable[[], RedisStateStore],
) -> None:
    store = redis_stores()
    await store.renew("node-a", 100.0, 2, "ari app acd")
    await store.renew("node-c", 100.0, 1, "ari app other")
    assert await store.reserve("1001", "c1", "node-a")
    assert await store.reserve("1002", "c2", "node-a")
    assert await store.reserve("1003", "c3", "node-c")
    standby = _reservations(store, "node-b")
    try:
        assert standby.hand_over("node-a") == ["1001", "1002"]
        assert [n.node_id for n in await store.nodes()] == ["node-c"]
        held = {a: await store.reservation(a) for a in ("1001", "1002", "1003")}
        assert {a: (r.contact_id, r.node_id) for a, r in held.items() if r} == {
            "1001": ("c1", "node-b"),
            "1002": ("c2", "node-b"),
            "1003": ("c3", "node-c"),
        }
        # Its recovery takes up c1 only (c2 ended meanwhile): reserving it again for the same
        # contact succeeds; the reassert then releases what no call claims.
        assert standby.try_reserve("1001", "c1")
        assert standby.reassert() == (["1002"], [])
        assert await store.reservation("1002") is None
        assert (await store.reservation("1001")) is not None
    finally:
        standby.close()


async def test_the_reassert_rebuilds_what_redis_lost_and_names_conflicts(
    redis_stores: Callable[[], RedisStateStore],
) -> None:
    store = redis_stores()
    node = _reservations(store, "node-a")
    try:
        assert node.try_reserve("1001", "c1")
        assert node.try_reserve("1002", "c2")
        await drop_prefix(store.client, store.keys.pattern())  # Redis lost every key
        assert await store.reserve("1002", "c9", "node-b")  # another node took it meanwhile
        assert node.reassert() == ([], ["1002"])
        mine = await store.reservation("1001")
        assert mine is not None
        assert (mine.contact_id, mine.node_id) == ("c1", "node-a")
        theirs = await store.reservation("1002")
        assert theirs is not None
        assert theirs.node_id == "node-b"  # left alone
    finally:
        node.close()


def test_while_redis_is_away_reservations_are_refused_at_once_and_said_once() -> None:
    node = RedisReservations.from_url("redis://127.0.0.1:1/0", "node-a")  # nothing listens
    said: list[BaseException] = []
    node.on_unreachable = said.append
    try:
        assert not node.try_reserve("1001", "c1")
        assert not node.try_reserve("1002", "c1")  # no second attempt: refused at once
        assert node.away
        assert len(said) == 1
        assert isinstance(said[0], RedisConnectionError | OSError)
    finally:
        node.close()
