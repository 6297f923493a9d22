"""The router's Reservations seam on Redis: two routers (two nodes) sharing one store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from acd.state.reservations import RedisReservations
from skills import Router
from skills.model import AgentStats, RoutingConfig
from tests.state.conftest import REDIS_URL, unique_prefix


@pytest.fixture
def shared() -> Iterator[tuple[RedisReservations, RedisReservations]]:
    prefix = unique_prefix()
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield RedisReservations(client, "node-a", prefix), RedisReservations(client, "node-b", prefix)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def _router(reservations: RedisReservations) -> Router:
    router = Router(RoutingConfig(), reservations)
    for agent_id, idle_since in (("longest-idle", 0.0), ("next", 5.0)):
        router.set_agent(agent_id, {"X": 1})
        router.set_logged_in(agent_id, True)
        router.agent_free(agent_id, idle_since, AgentStats(idle_since=idle_since))
    return router


def test_the_node_that_loses_the_race_offers_its_next_candidate(
    shared: tuple[RedisReservations, RedisReservations],
) -> None:
    a, b = shared
    node_a, node_b = _router(a), _router(b)
    node_a.add_contact("ca", "X", 10.0)
    node_b.add_contact("cb", "X", 10.0)
    assert [(m.contact_id, m.agent_id) for m in node_a.match(10.0)] == [("ca", "longest-idle")]
    assert [(m.contact_id, m.agent_id) for m in node_b.match(10.0)] == [("cb", "next")]
    node_b.add_contact("cb2", "X", 11.0)
    assert node_b.match(11.0) == []  # both agents are held: nobody is offered twice


def test_an_agent_free_again_is_reservable_by_the_other_node(
    shared: tuple[RedisReservations, RedisReservations],
) -> None:
    a, b = shared
    node_a = _router(a)
    node_a.add_contact("ca", "X", 10.0)
    node_a.match(10.0)
    assert not b.try_reserve("longest-idle", "cb")
    node_a.remove_contact("ca")
    node_a.agent_free("longest-idle", 60.0, AgentStats(idle_since=60.0))
    assert b.try_reserve("longest-idle", "cb")
    assert b.holder("longest-idle") == "cb"
    assert a.holder("longest-idle") is None


def test_a_release_after_the_lease_reaped_ours_keeps_the_new_holder(
    shared: tuple[RedisReservations, RedisReservations],
) -> None:
    a, b = shared
    assert a.try_reserve("agent", "c-a")
    # node-a's lease expired meanwhile: its reservation went, node-b reserved the agent.
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    client.delete(a.keys.reserved("agent"))
    client.close()
    assert b.try_reserve("agent", "c-b")
    a.release("agent")
    assert not a.try_reserve("agent", "c-a2")
    assert b.holder("agent") == "c-b"


def test_a_node_restarted_within_its_lease_takes_its_ringing_offer_up(
    shared: tuple[RedisReservations, RedisReservations],
) -> None:
    a, b = shared
    assert a.try_reserve("longest-idle", "ca")  # ringing when node-a was killed
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    restarted = RedisReservations(client, "node-a", a.keys.prefix)
    router = Router(RoutingConfig(), restarted)
    router.set_agent("longest-idle", {"X": 1})
    router.set_logged_in("longest-idle", True)
    router.add_offered("ca", "X", "longest-idle", 20.0)  # recovery: no "reserved elsewhere"
    assert restarted.holder("longest-idle") == "ca"
    assert not b.try_reserve("longest-idle", "cb")
    client.close()


def test_a_reservation_redis_failed_is_a_lost_race_and_its_release_is_sent_later(
    shared: tuple[RedisReservations, RedisReservations], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = shared
    now = [1000.0]
    monkeypatch.setattr("acd.state.reservations.time.monotonic", lambda: now[0])
    script = a._reserve

    def answer_lost(keys: list[str], args: list[object]) -> object:
        script(keys=keys, args=args)  # the script ran; its answer never came back
        raise RedisConnectionError("Connection reset by peer")

    a._reserve = answer_lost
    router = _router(a)
    router.add_contact("ca", "X", 10.0)
    assert router.match(10.0) == []  # no exception, nobody offered: the caller waits
    assert a.errors == 1  # the second candidate was not even tried while Redis rests
    assert not b.try_reserve("longest-idle", "cb")  # held for "ca" in Redis meanwhile

    a._reserve = script
    assert a.retry_failed() == 1  # still resting: owed, not sent
    now[0] += 1.5
    assert a.retry_failed() == 0  # sent: the reservation nobody knew of is gone
    assert a.take_recovery()  # the pool reloads, so the agents taken for busy come back
    assert not a.take_recovery()
    assert b.try_reserve("longest-idle", "cb")
