"""The callback store on SQLite and on the real PostgreSQL: requests, merges, idempotency,
claims, attempts, filters and supervisors' changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta
from typing import Any

import pytest

from callbacks import (
    AttemptResult,
    Callback,
    CallbackInvalid,
    CallbackNotFound,
    CallbackStatus,
    CallbackWrongState,
)
from callbacks.schedule import Outcome
from callbacks.store import CallbackStore
from tests.callbacks.factories import DUE, MORNING, key, line, number

CODE = "1700 Andere Vragen"


async def requested(store: CallbackStore, **overrides: Any) -> Callback:
    values: dict[str, Any] = {
        "number": number(),
        "line": line(),
        "line_code": CODE,
        "contact_id": "contact-1",
        "requested_at": MORNING,
        "due_by": DUE,
        "idempotency_key": key(),
    }
    values.update(overrides)
    callback, merged = await store.request(**values)
    assert not merged
    return callback


async def test_a_request_is_stored_with_aware_utc_times(store: CallbackStore):
    callback = await requested(store, priority=2)
    assert callback.status is CallbackStatus.PENDING
    assert callback.requested_at == MORNING
    assert callback.requested_at.tzinfo is UTC
    assert callback.due_by == DUE
    assert callback.priority == 2
    assert (callback.attempts, callback.merged_count, callback.next_attempt_at) == ((), 0, None)
    assert await store.get(callback.id) == callback
    assert await store.get("nope") is None


async def test_a_second_request_for_the_same_number_and_line_code_is_merged(store: CallbackStore):
    first = await requested(store)
    again, merged = await store.request(
        first.number, first.line, CODE, "contact-2", MORNING + timedelta(hours=1), DUE, key()
    )
    assert merged
    assert again.id == first.id
    assert again.merged_count == 1
    assert again.requested_at == first.requested_at  # age counts from the first request
    other_code, merged = await store.request(
        first.number, first.line, "1700 Belastingen", "contact-3", MORNING, DUE, key()
    )
    assert not merged
    assert other_code.id != first.id


async def test_a_request_is_idempotent_on_its_key(store: CallbackStore):
    first = await requested(store)
    retry_key = key()
    args = (first.number, first.line, CODE, "contact-2", MORNING, DUE, retry_key)
    merged_once = await store.request(*args)
    merged_again = await store.request(*args)
    assert merged_once[1]
    assert merged_again[1]
    assert merged_again[0].merged_count == 1  # the retry changed nothing
    new_key = key()
    fresh = await store.request(number(), first.line, CODE, None, MORNING, DUE, new_key)
    assert await store.request(fresh[0].number, first.line, CODE, None, MORNING, DUE, new_key) == (
        fresh[0],
        False,
    )


async def test_racing_requests_from_one_number_make_one_callback(store: CallbackStore):
    caller, where = number(), line()
    results = await asyncio.gather(
        *(store.request(caller, where, CODE, f"c{i}", MORNING, DUE, key()) for i in range(5))
    )
    assert len({callback.id for callback, _ in results}) == 1
    assert sorted(merged for _, merged in results) == [False, True, True, True, True]
    assert (await store.get(results[0][0].id)).merged_count == 4  # type: ignore[union-attr]


async def test_naive_times_are_refused(store: CallbackStore):
    with pytest.raises(ValueError, match="naive"):
        await requested(store, requested_at=MORNING.replace(tzinfo=None))


async def test_exactly_one_of_two_racing_claims_wins(store: CallbackStore):
    callback = await requested(store)
    claims = await asyncio.gather(
        store.claim(callback.id, "node-a", MORNING), store.claim(callback.id, "node-b", MORNING)
    )
    won = [claim for claim in claims if claim is not None]
    assert len(won) == 1
    claimed = won[0]
    assert claimed.status is CallbackStatus.DIALING
    assert claimed.claimed_by in {"node-a", "node-b"}
    assert [(a.seq, a.started_at, a.result) for a in claimed.attempts] == [(1, MORNING, None)]
    assert claimed.current_attempt is claimed.attempts[0]
    assert await store.claim(callback.id, "node-c", MORNING) is None


async def test_a_number_is_never_dialled_twice_at_once(store: CallbackStore):
    first = await requested(store)
    second = await requested(
        store,
        number=first.number,
        line=first.line,
        line_code="1700 Belastingen",
        requested_at=MORNING + timedelta(seconds=1),
    )
    assert [c.id for c in await store.due(MORNING, line=first.line)] == [first.id, second.id]
    assert await store.claim(first.id, "node-a", MORNING) is not None
    assert await store.due(MORNING, line=first.line) == []
    assert await store.claim(second.id, "node-b", MORNING) is None
    assert (await store.get(second.id)).status is CallbackStatus.PENDING  # type: ignore[union-attr]


async def test_claims_respect_next_attempt_and_deadline(store: CallbackStore):
    callback = await requested(store)
    later = MORNING + timedelta(hours=2)
    await store.reschedule(callback.id, later, MORNING)
    assert await store.due(MORNING, line=callback.line) == []
    assert await store.claim(callback.id, "node-a", MORNING) is None
    assert await store.claim(callback.id, "node-a", DUE) is None  # deadline reached
    assert await store.claim(callback.id, "node-a", later) is not None


async def test_attempts_finish_once_and_number_on(store: CallbackStore):
    callback = await requested(store)
    claimed = await store.claim(callback.id, "node-a", MORNING, agent_id="a1")
    assert claimed is not None
    retry_at = MORNING + timedelta(hours=1)
    end = MORNING + timedelta(seconds=40)
    outcome = Outcome(CallbackStatus.PENDING, next_attempt_at=retry_at)
    after = await store.finish_attempt(callback.id, 1, AttemptResult.NO_ANSWER, end, outcome)
    assert after is not None
    assert (after.status, after.next_attempt_at, after.claimed_by) == (
        CallbackStatus.PENDING,
        retry_at,
        None,
    )
    assert after.attempts[0].result is AttemptResult.NO_ANSWER
    assert after.attempts[0].agent_id == "a1"
    assert after.citizen_attempts == 1
    # A retried finish (a lost reply, say) changes nothing.
    assert await store.finish_attempt(callback.id, 1, AttemptResult.BUSY, end, outcome) is None
    second = await store.claim(callback.id, "node-b", retry_at)
    assert second is not None
    assert [a.seq for a in second.attempts] == [1, 2]
    done = await store.finish_attempt(
        callback.id,
        2,
        AttemptResult.ANSWERED,
        retry_at,
        Outcome(CallbackStatus.COMPLETED),
        agent_id="a2",
    )
    assert done is not None
    assert (done.status, done.agent_id, done.closed_at) == (
        CallbackStatus.COMPLETED,
        "a2",
        retry_at,
    )


async def test_finishing_the_wrong_attempt_changes_nothing(store: CallbackStore):
    callback = await requested(store)
    await store.claim(callback.id, "node-a", MORNING)
    done = Outcome(CallbackStatus.COMPLETED)
    assert await store.finish_attempt(callback.id, 2, AttemptResult.ANSWERED, MORNING, done) is None
    with pytest.raises(ValueError, match="dialing"):
        await store.finish_attempt(
            callback.id, 1, AttemptResult.ANSWERED, MORNING, Outcome(CallbackStatus.DIALING)
        )
    assert (await store.get(callback.id)).status is CallbackStatus.DIALING  # type: ignore[union-attr]


async def test_due_is_oldest_request_first_per_line_code(store: CallbackStore):
    where = line()
    late = await requested(store, line=where, requested_at=MORNING + timedelta(minutes=5))
    early = await requested(store, line=where)
    other = await requested(
        store, line=where, line_code="1700 Belastingen", requested_at=MORNING + timedelta(seconds=1)
    )
    assert [c.id for c in await store.due(MORNING, line=where)] == [early.id, other.id, late.id]
    assert [c.id for c in await store.due(MORNING, line=where, line_code=CODE)] == [
        early.id,
        late.id,
    ]
    assert [c.id for c in await store.due(MORNING, line=where, limit=1)] == [early.id]


async def test_recovery_redials_or_expires_what_a_crash_left_dialing(store: CallbackStore):
    where = line()
    mine = await requested(store, line=where)
    theirs = await requested(store, line=where)
    late = await requested(store, line=where, due_by=MORNING + timedelta(minutes=1))
    node_a, node_b = f"a-{where}", f"b-{where}"  # the PostgreSQL database is shared
    for callback, node in ((mine, node_a), (theirs, node_b), (late, node_a)):
        assert await store.claim(callback.id, node, MORNING) is not None
    restart = MORNING + timedelta(minutes=5)
    resolved = await store.recover(restart, node_id=node_a)
    assert {c.id: c.status for c in resolved} == {
        mine.id: CallbackStatus.PENDING,
        late.id: CallbackStatus.EXPIRED,
    }
    again = await store.get(mine.id)
    assert again is not None
    assert again.attempts[0].result is AttemptResult.INTERRUPTED
    assert again.citizen_attempts == 0
    # node-b's attempt is fresh: a sweep for dead nodes leaves it alone, until it is stale.
    assert theirs.id not in {c.id for c in await store.recover(restart, stale_before=MORNING)}
    swept = await store.recover(restart, stale_before=restart)
    assert [c.id for c in swept if c.line == where] == [theirs.id]
    # node-a, still ringing its attempt, cannot finish what was resolved.
    outcome = Outcome(CallbackStatus.COMPLETED)
    assert await store.finish_attempt(mine.id, 1, AttemptResult.ANSWERED, restart, outcome) is None
    assert (await store.claim(mine.id, node_a, restart)).attempts[-1].seq == 2  # type: ignore[union-attr]


async def test_overdue_pending_callbacks_expire(store: CallbackStore):
    where = line()
    soon = await requested(store, line=where, due_by=MORNING + timedelta(hours=1))
    later = await requested(store, line=where)
    after = MORNING + timedelta(hours=1)
    assert await store.count_overdue(after) >= 1
    open_before = await store.count_open()
    assert open_before >= 2  # both, whatever their deadline
    expired = await store.expire_overdue(after)
    assert await store.count_open() == open_before - len(expired)  # expired is not open
    assert soon.id in {c.id for c in expired}
    assert later.id not in {c.id for c in expired}
    gone = await store.get(soon.id)
    assert gone is not None
    assert (gone.status, gone.closed_at) == (CallbackStatus.EXPIRED, after)
    assert "deadline" in (gone.reason or "")


async def test_list_filters(store: CallbackStore):
    where = line()
    first = await requested(store, line=where)
    second = await requested(
        store,
        line=where,
        requested_at=MORNING + timedelta(seconds=1),
        due_by=DUE + timedelta(days=1),
    )
    await store.cancel(second.id, "citizen called back himself", MORNING)
    assert [c.id for c in await store.list(line=where)] == [first.id, second.id]
    assert [c.id for c in await store.list(status=CallbackStatus.PENDING, line=where)] == [first.id]
    assert [c.id for c in await store.list(line=where, due_before=DUE + timedelta(hours=1))] == [
        first.id
    ]
    assert [c.id for c in await store.list(line=where, line_code="other")] == []


async def test_cancel_and_reschedule_only_pending_callbacks(store: CallbackStore):
    callback = await requested(store)
    with pytest.raises(CallbackInvalid, match="deadline is earlier"):
        await store.reschedule(callback.id, DUE + timedelta(minutes=1), MORNING)
    cancelled = await store.cancel(callback.id, "duplicate", MORNING)
    assert (cancelled.status, cancelled.reason, cancelled.closed_at) == (
        CallbackStatus.CANCELLED,
        "duplicate",
        MORNING,
    )
    with pytest.raises(CallbackWrongState, match="cancelled: it cannot be cancelled"):
        await store.cancel(callback.id, "again", MORNING)
    with pytest.raises(CallbackWrongState):
        await store.reschedule(callback.id, MORNING, MORNING)
    with pytest.raises(CallbackNotFound):
        await store.cancel("nope", "x", MORNING)
