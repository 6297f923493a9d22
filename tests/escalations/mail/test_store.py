"""The outbox store, on SQLite and PostgreSQL: stored before any send, idempotent by request
key, one claim per attempt, retry and give-up recorded with the error."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from escalations.mail import Mail, MailOutboxStore, MailStatus, Via
from tests.escalations.mail.factories import MORNING, key

pytestmark = pytest.mark.component

CLAIM = timedelta(minutes=2)


async def _enqueue(store: MailOutboxStore, request_key: str | None = None, **changes: Any):
    values: dict[str, Any] = {
        "point_id": "anb-jacht",
        "via": Via.EMAIL,
        "address": "jacht@anb.example.org",
        "subject": "Escalatie",
        "body": "Vraag",
        "contact_id": "c-1",
        "agent_id": "a-1",
        "now": MORNING,
        **changes,
    }
    return await store.enqueue(request_key or key(), **values)


async def _claimed(store: MailOutboxStore, mail: Mail, at=MORNING) -> Mail:
    claimed = await store.claim(mail.id, at, at + CLAIM)
    assert claimed is not None
    return claimed


async def test_a_stored_mail_waits_due_at_once(store: MailOutboxStore):
    mail, created = await _enqueue(store)
    assert created
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.PENDING, 0, None)
    assert mail.next_attempt_at == MORNING
    assert mail.id in [m.id for m in await store.due(MORNING)]


async def test_the_same_request_key_stores_one_mail(store: MailOutboxStore):
    request = key()
    first, created = await _enqueue(store, request)
    again, created_again = await _enqueue(store, request, body="anders", now=MORNING + CLAIM)
    assert created
    assert not created_again
    assert again == first
    assert [m.id for m in await store.list() if m.request_key == request] == [first.id]


async def test_two_requests_with_one_key_at_once_store_one_mail(store: MailOutboxStore):
    request = key()
    results = await asyncio.gather(*(_enqueue(store, request) for _ in range(4)))
    assert len({mail.id for mail, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]


async def test_a_mail_is_claimed_once(store: MailOutboxStore):
    mail, _ = await _enqueue(store)
    claimed = await _claimed(store, mail)
    assert (claimed.status, claimed.attempts) == (MailStatus.SENDING, 1)
    assert await store.claim(mail.id, MORNING, MORNING + CLAIM) is None
    assert mail.id not in [m.id for m in await store.due(MORNING + CLAIM / 2)]


async def test_a_claim_that_runs_out_makes_the_mail_due_again(store: MailOutboxStore):
    """A sender that died mid-send: after its claim the mail is sent again (at least once)."""
    mail, _ = await _enqueue(store)
    first = await _claimed(store, mail)
    later = MORNING + CLAIM
    assert mail.id in [m.id for m in await store.due(later)]
    second = await _claimed(store, mail, later)
    assert second.attempts == 2
    # The first attempt's late answer changes nothing: the second holds the mail now.
    assert await store.delivered(first, later) is None
    done = await store.delivered(second, later)
    assert done is not None
    assert done.status is MailStatus.DELIVERED


async def test_delivery_is_recorded(store: MailOutboxStore):
    mail, _ = await _enqueue(store)
    done = await store.delivered(await _claimed(store, mail), MORNING + timedelta(seconds=1))
    assert done is not None
    assert done.status is MailStatus.DELIVERED
    assert done.delivered_at == MORNING + timedelta(seconds=1)
    assert done.next_attempt_at is None
    assert mail.id not in [m.id for m in await store.due(MORNING + timedelta(days=1))]


async def test_a_failed_attempt_waits_for_its_retry_with_the_error(store: MailOutboxStore):
    mail, _ = await _enqueue(store)
    retry_at = MORNING + timedelta(seconds=30)
    error = "ConnectionRefusedError: [Errno 111]"
    failed = await store.failed(await _claimed(store, mail), MORNING, error, retry_at=retry_at)
    assert failed is not None
    assert (failed.status, failed.attempts) == (MailStatus.RETRYING, 1)
    assert failed.last_error == error
    assert failed.next_attempt_at == retry_at
    assert mail.id not in [m.id for m in await store.due(retry_at - timedelta(seconds=1))]
    assert mail.id in [m.id for m in await store.due(retry_at)]


async def test_a_mail_refused_for_good_is_given_up_and_no_longer_due(store: MailOutboxStore):
    mail, _ = await _enqueue(store)
    error = "recipient refused: 550 no such user " + "x" * 1000
    given_up = await store.failed(await _claimed(store, mail), MORNING, error, retry_at=None)
    assert given_up is not None
    assert given_up.status is MailStatus.GIVEN_UP
    assert given_up.last_error is not None
    assert len(given_up.last_error) == 500
    assert mail.id not in [m.id for m in await store.due(MORNING + timedelta(days=30))]


async def test_the_list_filters_by_status_oldest_first(store: MailOutboxStore):
    later, _ = await _enqueue(store, now=MORNING + timedelta(seconds=5))
    earlier, _ = await _enqueue(store)
    sent, _ = await _enqueue(store)
    await store.delivered(await _claimed(store, sent), MORNING)
    waiting = [m.id for m in await store.list(statuses=[MailStatus.PENDING])]
    assert waiting.index(earlier.id) < waiting.index(later.id)
    assert sent.id not in waiting
    assert sent.id in [m.id for m in await store.list(statuses=[MailStatus.DELIVERED])]


async def test_waiting_mails_are_counted_and_the_next_due_time_known(store: MailOutboxStore):
    before = await store.count_waiting()
    mail, _ = await _enqueue(store)
    assert await store.count_waiting() == before + 1
    next_at = await store.next_due_at()
    assert next_at is not None
    assert next_at <= MORNING
    await store.delivered(await _claimed(store, mail), MORNING)
    assert await store.count_waiting() == before


async def test_naive_times_are_refused(store: MailOutboxStore):
    with pytest.raises(ValueError, match="timezone-aware"):
        await _enqueue(store, now=MORNING.replace(tzinfo=None))
