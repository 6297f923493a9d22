from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from acd.records import ContactRecorder, ContactStore, migrate
from foundation.clock import hold_clock
from foundation.contact import ContactEventKind, ContactRecord
from tests import postgres
from tests.records.contacts import (
    T0,
    answered_after_one_no_answer,
    arrived,
    ended,
    event,
    unique,
)

ARRIVED = ContactEventKind.ARRIVED
ANSWERED = ContactEventKind.ANSWERED
OFFER_ENDED = ContactEventKind.OFFER_ENDED
ENDED = ContactEventKind.ENDED


class SavesInMemory:
    """A RecordSaver that keeps every snapshot it is given, in order, and every batch."""

    def __init__(self) -> None:
        self.saved: list[ContactRecord] = []
        self.batches: list[list[str]] = []

    async def save_many(self, records: Sequence[ContactRecord]) -> list[bool]:
        self.saved.extend(records)
        self.batches.append([r.id for r in records])
        return [True] * len(records)


class Flaky:
    """A RecordSaver in front of a real store whose first ``failures`` batches fail."""

    def __init__(self, store: ContactStore | None, failures: int) -> None:
        self.store = store
        self.failures = failures
        self.attempts = 0
        self.batches: list[list[str]] = []

    async def save_many(self, records: Sequence[ContactRecord]) -> list[bool]:
        self.attempts += 1
        self.batches.append([r.id for r in records])
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("INSERT INTO contacts", {}, Exception("connection refused"))
        assert self.store is not None
        return await self.store.save_many(records)


async def test_the_arrival_is_written_before_the_end_and_the_end_wins(store: ContactStore):
    async with ContactRecorder(store) as recorder:
        first = arrived()
        recorder.contact_event(event(ARRIVED, first))
        await recorder.flush()
        assert await store.get(first.id) == first  # a crash now still leaves a trace

        in_call = answered_after_one_no_answer(first)
        final = ended(in_call)
        recorder.contact_event(event(ANSWERED, in_call))
        recorder.contact_event(event(ENDED, final))
        recorder.contact_event(event(OFFER_ENDED, in_call))  # a straggler, queued behind
        await recorder.flush()
        assert await store.get(first.id) == final

        recorder.contact_event(event(ANSWERED, in_call))  # a straggler, after the end is saved
        await recorder.flush()
        assert await store.get(first.id) == final
        assert recorder.backlog == 0


@pytest.mark.unit
async def test_snapshots_queued_together_are_coalesced_and_the_end_is_kept():
    saver = SavesInMemory()
    recorder = ContactRecorder(saver)
    first = arrived()
    in_call = answered_after_one_no_answer(first)
    final = ended(in_call)
    for kind, record in [(ARRIVED, first), (ANSWERED, in_call), (ENDED, final)]:
        recorder.contact_event(event(kind, record))
    recorder.contact_event(event(ANSWERED, in_call))
    assert recorder.backlog == 1

    with pytest.raises(RuntimeError, match="start"):
        await recorder.flush()
    await recorder.start()
    await recorder.stop()
    assert saver.saved == [final]


@pytest.mark.unit
@pytest.mark.parametrize("failing_is_the_end", [False, True])
async def test_a_snapshot_arriving_during_a_failed_save_is_merged_for_the_retry(
    failing_is_the_end: bool,
):
    in_call = answered_after_one_no_answer(arrived())
    final = ended(in_call)
    failing, arriving = (final, in_call) if failing_is_the_end else (in_call, final)
    saver = SavesInMemory()
    recorder: ContactRecorder

    class FailsOnceWhileAnotherSnapshotArrives:
        failed = False

        async def save_many(self, records: Sequence[ContactRecord]) -> list[bool]:
            if not self.failed:
                self.failed = True
                recorder.contact_event(event(ANSWERED, arriving))
                raise OperationalError("INSERT INTO contacts", {}, Exception("timeout"))
            return await saver.save_many(records)

    async with ContactRecorder(FailsOnceWhileAnotherSnapshotArrives()) as recorder:
        recorder.contact_event(event(ENDED, failing))
    assert saver.saved == [final]


async def test_a_failing_save_is_logged_and_retried_until_it_succeeds(
    store: ContactStore, caplog: pytest.LogCaptureFixture
):
    flaky = Flaky(store, failures=3)
    record = arrived()
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with ContactRecorder(flaky, retry_initial=1.0) as recorder:
        recorder.contact_event(event(ARRIVED, record))
        await recorder.flush()

    assert await store.get(record.id) == record
    assert flaky.attempts == 4
    assert loop.time() - started >= 1 + 2 + 4  # backed off, in virtual seconds
    # An unreachable database is an outage: said once when it starts, once when it ends.
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert said[0] == (
        "ERROR",
        "sql outage began: saving contacts: OperationalError: (builtins.Exception) "
        "connection refused",
    )
    assert said[1][0] == "WARNING"
    assert said[1][1].startswith("sql outage over after ")
    assert "contacts written again, 0 waiting" in said[1][1]
    assert len(said) == 2
    assert recorder.outage.began == 1


async def test_a_record_the_database_refuses_is_logged_each_time(
    caplog: pytest.LogCaptureFixture,
):
    class Refuses:
        attempts = 0

        async def save_many(self, records: Sequence[ContactRecord]) -> list[bool]:
            self.attempts += 1
            if self.attempts <= 2:
                raise IntegrityError("INSERT INTO contacts", {}, Exception("duplicate key"))
            return [True for _ in records]

    record = arrived()
    async with ContactRecorder(Refuses(), retry_initial=1.0) as recorder:
        recorder.contact_event(event(ARRIVED, record))
        await recorder.flush()
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert all(record.id in r.getMessage() for r in failures)
    assert recorder.outage.began == 0  # not an outage


@pytest.mark.unit
async def test_at_its_bound_the_backlog_gives_up_the_oldest_record_loudly(
    caplog: pytest.LogCaptureFixture,
):
    recorder = ContactRecorder(Flaky(None, failures=10**6), max_backlog=3, retry_max=5.0)
    await recorder.start()
    records = [arrived() for _ in range(5)]
    for record in records:
        recorder.contact_event(event(ARRIVED, record))
        await asyncio.sleep(1)
    assert recorder.backlog == 3
    assert recorder.given_up == 2
    given_up = [r.getMessage() for r in caplog.records if "giving up" in r.getMessage()]
    gone = {r.id for r in records if any(r.id in line for line in given_up)}
    assert len(gone) == 2
    assert gone.isdisjoint(recorder.unsaved_keys())  # each record kept or said, none both
    assert all("caller_number=" in line for line in given_up)  # in full: the log keeps it
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(10):
            await recorder.stop()


@pytest.mark.unit
async def test_stopping_while_the_database_stays_down_names_the_unsaved_contacts(
    caplog: pytest.LogCaptureFixture,
):
    recorder = ContactRecorder(Flaky(None, failures=10**6), retry_max=5.0)
    await recorder.start()
    record = arrived()
    recorder.contact_event(event(ARRIVED, record))

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(60):
            await recorder.stop()

    assert recorder.backlog == 1
    assert f"1 record(s) unsaved: {record.id}" in caplog.text


class NoticesFailure:
    """A RecordSaver in front of a real store that signals when a save has failed."""

    def __init__(self, store: ContactStore) -> None:
        self.store = store
        self.failed = asyncio.Event()

    async def save_many(self, records: Sequence[ContactRecord]) -> list[bool]:
        try:
            return await self.store.save_many(records)
        except Exception:
            self.failed.set()
            raise


LateDatabase = tuple[str, Callable[[], Awaitable[None]]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def late_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LateDatabase]:
    """A database URL that does not work yet, and how to bring the database up."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'not-yet' / 'records.db'}"
        yield url, lambda: migrate(url, hold=hold_clock)
        return
    request.getfixturevalue("postgres_url")  # fails clearly if PostgreSQL is not there
    name = unique("acd_records_late").replace("-", "_")
    url = postgres.url_for(name)

    async def bring_up() -> None:
        await postgres.admin(f'CREATE DATABASE "{name}"')
        await migrate(url, hold=hold_clock)

    try:
        yield url, bring_up
    finally:
        await postgres.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_database_that_comes_up_late_gets_the_record(
    late_database: LateDatabase, caplog: pytest.LogCaptureFixture
):
    url, bring_up = late_database
    record = ended(answered_after_one_no_answer(arrived()))
    async with ContactStore.open(url, hold=hold_clock) as store:
        watched = NoticesFailure(store)
        async with ContactRecorder(watched) as recorder:
            recorder.contact_event(event(ENDED, record))
            await watched.failed.wait()
            assert recorder.backlog == 1
            assert recorder.unsaved_keys() == [record.id]
            # Said at ERROR: as an outage (SQLite's missing file) or a failed batch naming it
            # (PostgreSQL's missing database).
            assert any(r.levelno >= logging.ERROR for r in caplog.records)

            await bring_up()
            await recorder.flush()
        assert await store.get(record.id) == record


class Watched:
    """A RecordSaver in front of a real store that remembers every batch and how it went."""

    def __init__(self, store: ContactStore) -> None:
        self.store = store
        self.attempts: list[tuple[list[str], bool]] = []
        self.changed = asyncio.Condition()

    @property
    def saved(self) -> set[str]:
        return {cid for ids, ok in self.attempts if ok for cid in ids}

    async def save_many(self, records: Sequence[ContactRecord]) -> list[bool]:
        ids = [r.id for r in records]
        ok = False
        try:
            written = await self.store.save_many(records)
            ok = True
        finally:
            self.attempts.append((ids, ok))
            async with self.changed:
                self.changed.notify_all()
        return written

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait, in virtual time, until the attempts so far satisfy ``condition``."""
        async with asyncio.timeout(600), self.changed:
            await self.changed.wait_for(condition)


async def test_contacts_pending_together_are_written_in_one_batch(store: ContactStore):
    watched = Watched(store)
    recorder = ContactRecorder(watched, batch_size=4)
    records = [arrived() for _ in range(5)]
    records[1] = answered_after_one_no_answer(records[1])
    records[2] = ended(answered_after_one_no_answer(records[2]))
    for record in records:
        recorder.contact_event(event(ARRIVED, record))

    async with recorder:
        await recorder.flush()

    ids = [r.id for r in records]
    assert watched.attempts == [(ids[:4], True), (ids[4:], True)]  # capped at batch_size
    for record in records:
        assert await store.get(record.id) == record


@pytest.mark.unit
async def test_a_busy_recorder_paces_its_batches_and_flush_cuts_the_wait():
    saver = SavesInMemory()
    loop = asyncio.get_running_loop()
    first, *others = [arrived() for _ in range(4)]
    async with ContactRecorder(saver, write_interval=10.0) as recorder:
        recorder.contact_event(event(ARRIVED, first))
        await asyncio.sleep(0.01)
        assert saver.batches == [[first.id]]  # an idle recorder writes at once

        for record in others:
            recorder.contact_event(event(ARRIVED, record))
        await asyncio.sleep(5)
        assert saver.batches == [[first.id]]  # the rest waits for the next interval

        started = loop.time()
        await recorder.flush()
        assert loop.time() - started < 1
    assert saver.batches == [[first.id], [r.id for r in others]]


async def test_an_older_snapshot_in_a_batch_does_not_reopen_an_ended_contact(store: ContactStore):
    first = arrived()
    final = ended(answered_after_one_no_answer(first))
    await store.save(final)  # by another node, say, which saw the end first
    newcomers = [arrived() for _ in range(3)]
    watched = Watched(store)
    recorder = ContactRecorder(watched)
    recorder.contact_event(event(ARRIVED, newcomers[0]))
    recorder.contact_event(event(ARRIVED, first))
    for record in newcomers[1:]:
        recorder.contact_event(event(ARRIVED, record))

    async with recorder:
        await recorder.flush()

    assert len(watched.attempts) == 1
    assert await store.get(final.id) == final  # outcome, end time and both offers
    for record in newcomers:
        assert await store.get(record.id) == record


@pytest.mark.parametrize(
    ("failures", "batches"),
    [
        (1, [[0, 1, 2, 3], [0, 1, 2, 3]]),  # retried whole: the fault may have been passing
        (3, [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1], [2, 3], [0], [1]]),  # then split, and split
    ],
)
async def test_a_failing_batch_is_retried_and_nothing_is_lost(
    store: ContactStore, failures: int, batches: list[list[int]]
):
    flaky = Flaky(store, failures=failures)
    records = [arrived() for _ in range(3)] + [ended(answered_after_one_no_answer(arrived()))]
    recorder = ContactRecorder(flaky)
    for record in records:
        recorder.contact_event(event(ARRIVED, record))

    async with recorder:
        await recorder.flush()

    assert flaky.batches == [[records[i].id for i in batch] for batch in batches]
    for record in records:
        assert await store.get(record.id) == record
    assert recorder.backlog == 0


async def test_a_record_the_database_refuses_is_split_off_and_does_not_hold_back_the_rest(
    store: ContactStore, caplog: pytest.LogCaptureFixture
):
    bad = arrived(at=T0.replace(tzinfo=None))  # refused by the store on every backend
    good = [arrived() for _ in range(7)]
    watched = Watched(store)
    recorder = ContactRecorder(watched, retry_initial=1.0, retry_max=60.0)
    for record in [*good[:3], bad, *good[3:]]:
        recorder.contact_event(event(ARRIVED, record))
    await recorder.start()

    await watched.until(lambda: watched.saved >= {r.id for r in good})
    await watched.until(lambda: watched.attempts[-1] == ([bad.id], False))  # alone, and backing off
    assert f"saving 1 contact(s) failed (attempt 5); retrying in 16.0 s: {bad.id}" in caplog.text

    newcomer = arrived()
    recorder.contact_event(event(ARRIVED, newcomer))
    await watched.until(lambda: newcomer.id in watched.saved)
    assert watched.attempts[-2:] == [([bad.id], False), ([newcomer.id], True)]

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(60):
            await recorder.stop()
    assert recorder.backlog == 1
    assert f"1 record(s) unsaved: {bad.id}" in caplog.text
    for record in [*good, newcomer]:
        assert await store.get(record.id) == record


@pytest.mark.unit
async def test_a_contact_in_progress_waits_for_company_and_a_finished_one_does_not():
    # One transaction costs the engine about as much for one snapshot as for fifty: a contact
    # still in progress may wait up to the linger; a finished one goes within the interval
    # (what a kill -9 can lose of it), taking along what waits.
    saver = SavesInMemory()
    a, b, c = arrived(), arrived(), arrived()
    async with ContactRecorder(saver, write_interval=0.05, linger=0.25) as recorder:
        recorder.contact_event(event(ARRIVED, a))
        await asyncio.sleep(0.2)
        assert saver.batches == []
        recorder.contact_event(event(ARRIVED, b))
        await asyncio.sleep(0.06)  # 0.26 s after a arrived
        assert saver.batches == [[a.id, b.id]]

        recorder.contact_event(event(ARRIVED, c))
        await asyncio.sleep(0.01)
        recorder.contact_event(event(ENDED, ended(answered_after_one_no_answer(a))))
        await asyncio.sleep(0.05)  # the interval since the last write: not the linger
        assert saver.batches == [[a.id, b.id], [c.id, a.id]]
        assert saver.saved[-1].ended_at is not None


@pytest.mark.unit
@pytest.mark.parametrize(
    "kind",
    [
        ContactEventKind.SURVEY_STARTED,
        ContactEventKind.SURVEY_QUESTION,
        ContactEventKind.RECORDING_STARTED,
    ],
)
async def test_what_a_restart_cannot_ask_asterisk_is_written_within_the_interval(kind):
    # A caller in the survey or a recorded bridge looks, in ARI, like a caller alone or any
    # bridged call: the record is what tells a restarted engine, so it does not linger.
    saver = SavesInMemory()
    a = answered_after_one_no_answer(arrived())
    async with ContactRecorder(saver, write_interval=0.05, linger=0.25) as recorder:
        recorder.contact_event(event(kind, a))
        await asyncio.sleep(0.1)
        assert saver.batches == [[a.id]]
