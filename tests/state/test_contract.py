"""The contract every shared-state store keeps: the same tests on the in-memory store and on
the Redis one."""

from __future__ import annotations

import pytest

from acd.state import SharedAgent, StateStore, StateStoreError, WaitingContact


def _agent(agent_id: str = "a1", **changes: object) -> SharedAgent:
    fields: dict[str, object] = {
        "agent_id": agent_id,
        "presence": "available",
        "activity": "idle",
        "skills": {"1700": 5, "tax": 2},
        "idle_since": 10.5,
    }
    fields.update(changes)
    return SharedAgent(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ agents


async def test_an_agent_reads_back_as_written(state_store: StateStore) -> None:
    agent = _agent(reason=None)
    await state_store.put_agent(agent)
    assert await state_store.agent("a1") == agent
    assert await state_store.agent("nobody") is None


async def test_agents_are_listed_by_id_and_replaced_whole(state_store: StateStore) -> None:
    await state_store.put_agent(_agent("b", presence="away", reason="lunch"))
    await state_store.put_agent(_agent("a"))
    await state_store.put_agent(_agent("b", idle_since=None))  # the reason goes with it
    assert await state_store.agents() == [_agent("a"), _agent("b", idle_since=None)]


async def test_presence_keeps_its_reason_until_it_changes(state_store: StateStore) -> None:
    await state_store.put_agent(_agent())
    await state_store.set_presence("a1", "away", "training")
    assert await state_store.agent("a1") == _agent(presence="away", reason="training")
    await state_store.set_presence("a1", "available", None)
    assert await state_store.agent("a1") == _agent()


async def test_activity_and_idle_since_change_together(state_store: StateStore) -> None:
    await state_store.put_agent(_agent())
    await state_store.set_activity("a1", "talking", None)
    assert await state_store.agent("a1") == _agent(activity="talking", idle_since=None)
    await state_store.set_activity("a1", "idle", 99.25)
    assert await state_store.agent("a1") == _agent(idle_since=99.25)


async def test_changing_an_unknown_agent_is_refused_by_name(state_store: StateStore) -> None:
    with pytest.raises(StateStoreError, match="agent 'ghost': not in the shared store"):
        await state_store.set_presence("ghost", "away", None)
    with pytest.raises(StateStoreError, match="agent 'ghost'"):
        await state_store.set_activity("ghost", "idle", 1.0)
    assert await state_store.agents() == []


async def test_day_counters_add_up_per_day(state_store: StateStore) -> None:
    assert await state_store.add_to_counter("a1", "2027-03-29", "answered", 1) == 1
    assert await state_store.add_to_counter("a1", "2027-03-29", "answered", 2) == 3
    await state_store.add_to_counter("a1", "2027-03-29", "talk_s", 125)
    await state_store.add_to_counter("a1", "2027-03-30", "answered", 1)
    assert await state_store.counters("a1", "2027-03-29") == {"answered": 3, "talk_s": 125}
    assert await state_store.counters("a1", "2027-03-30") == {"answered": 1}
    assert await state_store.counters("a2", "2027-03-29") == {}


# ------------------------------------------------------------------ waiting contacts


async def test_contacts_wait_by_priority_then_arrival(state_store: StateStore) -> None:
    await state_store.enqueue("c1", "1700", 0, 1.0, "n1")
    await state_store.enqueue("c2", "1700", 5, 2.0, "n2")
    await state_store.enqueue("c3", "1700", 0, 0.5, "n1")  # earlier wait, later arrival
    await state_store.enqueue("c4", "1700", -3, 0.0, "n1")
    await state_store.enqueue("x1", "tax", 999, 0.0, "n1")
    assert [c.contact_id for c in await state_store.waiting("1700")] == ["c2", "c1", "c3", "c4"]
    [head, *_] = await state_store.waiting("1700")
    assert head == WaitingContact("c2", "1700", 5, 2.0, "n2", head.seq)
    assert await state_store.waiting("none") == []


async def test_a_contact_is_taken_once(state_store: StateStore) -> None:
    queued = await state_store.enqueue("c1", "1700", 0, 1.0, "n1")
    await state_store.enqueue("c2", "1700", 0, 1.0, "n1")
    assert await state_store.take("c1") == queued
    assert await state_store.take("c1") is None
    assert [c.contact_id for c in await state_store.waiting("1700")] == ["c2"]
    assert (await state_store.take_next("1700") or queued).contact_id == "c2"
    assert await state_store.take_next("1700") is None
    assert await state_store.waiting("1700") == []


async def test_a_taken_contact_may_queue_again_at_the_back(state_store: StateStore) -> None:
    first = await state_store.enqueue("c1", "1700", 0, 1.0, "n1")
    await state_store.enqueue("c2", "1700", 0, 2.0, "n1")
    await state_store.take("c1")
    again = await state_store.enqueue("c1", "1700", 0, 1.0, "n1")
    assert again.seq > first.seq
    assert [c.contact_id for c in await state_store.waiting("1700")] == ["c2", "c1"]


async def test_bad_contacts_are_refused_by_name(state_store: StateStore) -> None:
    await state_store.enqueue("c1", "1700", 0, 1.0, "n1")
    with pytest.raises(StateStoreError, match="contact 'c1': already waiting"):
        await state_store.enqueue("c1", "tax", 0, 1.0, "n1")
    with pytest.raises(StateStoreError, match="priority 1000: must be from -999 to 999"):
        await state_store.enqueue("c2", "1700", 1000, 1.0, "n1")
    with pytest.raises(StateStoreError, match="line code 'a b'"):
        await state_store.enqueue("c2", "a b", 0, 1.0, "n1")
    assert [c.contact_id for c in await state_store.waiting("1700")] == ["c1"]
    assert await state_store.waiting("tax") == []


# ------------------------------------------------------------------ routing-step expiries


async def test_step_expiries_are_claimed_once_when_due(state_store: StateStore) -> None:
    for contact_id in ("c1", "c2", "c3"):
        await state_store.enqueue(contact_id, "1700", 0, 0.0, "n1")
    await state_store.set_step_due("c1", 30.0)
    await state_store.set_step_due("c2", 20.0)
    await state_store.set_step_due("c3", 50.0)
    await state_store.set_step_due("c3", 25.0)  # replaces the earlier one
    assert await state_store.take_due_steps(10.0) == []
    assert await state_store.take_due_steps(30.0) == ["c2", "c3", "c1"]
    assert await state_store.take_due_steps(100.0) == []


async def test_a_taken_contact_has_no_step_expiry(state_store: StateStore) -> None:
    await state_store.enqueue("c1", "1700", 0, 0.0, "n1")
    await state_store.set_step_due("c1", 5.0)
    await state_store.take("c1")
    assert await state_store.take_due_steps(10.0) == []
    with pytest.raises(StateStoreError, match="contact 'c1': not waiting"):
        await state_store.set_step_due("c1", 20.0)


# ------------------------------------------------------------------ reservations


async def test_an_agent_is_reserved_by_one_contact_at_a_time(state_store: StateStore) -> None:
    assert await state_store.reserve("a1", "c1", "n1")
    assert not await state_store.reserve("a1", "c2", "n2")
    held = await state_store.reservation("a1")
    assert held is not None
    assert (held.contact_id, held.node_id) == ("c1", "n1")
    assert await state_store.reserve("a2", "c2", "n2")


async def test_a_node_restarted_within_its_lease_takes_its_offer_up_again(
    state_store: StateStore,
) -> None:
    assert await state_store.reserve("a1", "c1", "n1")
    assert await state_store.reserve("a1", "c1", "n1")  # the same offer, after a restart
    assert not await state_store.reserve("a1", "c1", "n2")  # the same contact, other node
    assert not await state_store.reserve("a1", "c2", "n1")  # another contact
    assert not await state_store.release("a1", "c1", "n2")  # not n2's to release
    assert await state_store.release("a1", "c1", "n1")
    assert await state_store.reservation("a1") is None


async def test_a_released_agent_is_reservable_again(state_store: StateStore) -> None:
    await state_store.reserve("a1", "c1", "n1")
    assert await state_store.release("a1", "c1", "n1")
    assert await state_store.reservation("a1") is None
    assert await state_store.reserve("a1", "c2", "n2")


async def test_a_late_release_leaves_the_new_reservation_alone(state_store: StateStore) -> None:
    await state_store.reserve("a1", "c1", "n1")
    await state_store.release("a1", "c1", "n1")
    await state_store.reserve("a1", "c2", "n2")
    assert not await state_store.release("a1", "c1", "n1")
    assert not await state_store.release("a9", "c1", "n1")
    held = await state_store.reservation("a1")
    assert held is not None
    assert held.contact_id == "c2"


async def test_a_late_release_by_a_node_that_left_spares_its_successor(
    state_store: StateStore,
) -> None:
    # n1 reserved a1 for c1 and left; n2 took c1 over and reserved a1 for it: n1's late
    # release (for the same contact) must not undo n2's reservation.  Found by Hypothesis.
    await state_store.reserve("a1", "c1", "n1")
    await state_store.leave("n1", 1.0)
    assert await state_store.reserve("a1", "c1", "n2")
    assert not await state_store.release("a1", "c1", "n1")
    held = await state_store.reservation("a1")
    assert held is not None
    assert held.node_id == "n2"


# ------------------------------------------------------------------ node membership


async def test_nodes_are_listed_with_lease_age_calls_and_reservations(
    state_store: StateStore,
) -> None:
    await state_store.renew("n2", 100.0, 0)
    await state_store.renew("n1", 100.0, 3)
    await state_store.renew("n1", 110.0, 4)
    await state_store.reserve("a1", "c1", "n1")
    await state_store.reserve("a2", "c2", "n1")
    n1, n2 = await state_store.nodes()
    assert (n1.node_id, n1.started_at, n1.renewed_at, n1.calls, n1.reservations) == (
        "n1",
        100.0,
        110.0,
        4,
        2,
    )
    assert (n2.node_id, n2.calls, n2.reservations) == ("n2", 0, 0)
    assert n1.lease_age(112.5) == 2.5
    assert n2.lease_age(112.5) == 12.5


async def test_an_expired_node_loses_its_reservations_and_its_agents_go_idle(
    state_store: StateStore,
) -> None:
    for agent_id, activity in (("a1", "reserved"), ("a2", "ringing"), ("a3", "talking")):
        await state_store.put_agent(_agent(agent_id, activity=activity, idle_since=None))
    await state_store.renew("dead", 0.0, 3)
    await state_store.renew("live", 0.0, 1)
    for agent_id in ("a1", "a2", "a3"):
        await state_store.reserve(agent_id, f"c-{agent_id}", "dead")
    await state_store.reserve("a4", "c-a4", "live")
    await state_store.renew("live", 14.0, 1)

    assert await state_store.reap(15.0, 15.0) == {}  # renewed exactly a lease ago: alive
    assert await state_store.reap(16.0, 15.0) == {"dead": ["a1", "a2", "a3"]}

    assert [n.node_id for n in await state_store.nodes()] == ["live"]
    assert await state_store.agent("a1") == _agent("a1", activity="idle", idle_since=16.0)
    assert await state_store.agent("a2") == _agent("a2", activity="idle", idle_since=16.0)
    # Talking: its call is not the lease's business (the node's Asterisk still holds it).
    assert await state_store.agent("a3") == _agent("a3", activity="talking", idle_since=None)
    assert await state_store.reserve("a1", "c9", "live")
    assert (await state_store.reservation("a4")) is not None
    assert await state_store.reap(16.0, 15.0) == {}


async def test_a_node_that_leaves_releases_at_once(state_store: StateStore) -> None:
    await state_store.renew("n1", 0.0, 0)
    await state_store.reserve("a1", "c1", "n1")
    await state_store.release("a1", "c1", "n1")
    await state_store.reserve("a2", "c2", "n1")
    assert await state_store.leave("n1", 1.0) == ["a2"]
    assert await state_store.nodes() == []
    assert await state_store.reservation("a2") is None
