from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import CacheStats

from acd.records import AgentStateStore, ContactStore
from foundation.clock import hold_clock
from foundation.contact import Offer, OfferResult, Outcome, Registration
from foundation.sql import create_engine
from tests.records.contacts import T0, answered_after_one_no_answer, arrived, ended, unique
from tests.records.test_agent_states import lunch, stored

BRUSSELS_SUMMER = timezone(timedelta(hours=2))


async def test_a_record_round_trips_with_offers_and_utc_times(store: ContactStore):
    record = ended(answered_after_one_no_answer(arrived(at=T0.astimezone(BRUSSELS_SUMMER))))
    record.offers[0].cause = 19

    assert await store.save(record)
    loaded = await store.get(record.id)

    assert loaded == record  # datetimes compare as instants, whatever their zone
    assert loaded is not None
    stamps = [loaded.arrived_at, loaded.queued_at, loaded.answered_at, loaded.ended_at]
    stamps += [o.offered_at for o in loaded.offers] + [o.ended_at for o in loaded.offers]
    assert all(s is not None and s.utcoffset() == timedelta(0) for s in stamps)
    assert loaded.offers[0].result is OfferResult.NO_ANSWER
    assert loaded.outcome is Outcome.ANSWERED
    assert loaded.wait_seconds == 65.0


async def test_an_escalation_by_e_mail_round_trips(store: ContactStore):
    record = answered_after_one_no_answer(arrived())
    record.emailed_to = record.escalation_point = "vlabel"
    await store.save(record)
    loaded = await store.get(record.id)
    assert loaded is not None
    assert (loaded.emailed_to, loaded.escalation_point) == ("vlabel", "vlabel")


async def test_a_registration_after_the_end_is_stored_with_the_ended_contact(store: ContactStore):
    record = ended(answered_after_one_no_answer(arrived()))
    await store.save(record)
    # Closed in wrap-up: the ended record again, now with the agent's registration.
    links = ("https://www.vlaanderen.be/premies", "https://kb.example.org/artikel/12?x=1")
    record.registration = Registration(
        "a1", 'Vraag: premie "dakisolatie"', "Informatie gegeven", links, T0
    )
    assert await store.save(record)
    loaded = await store.get(record.id)
    assert loaded is not None
    assert loaded.registration == record.registration
    assert loaded.outcome is Outcome.ANSWERED


async def test_an_unknown_contact_is_none(store: ContactStore):
    assert await store.get(unique("nobody")) is None


async def test_saving_again_replaces_the_contact_and_its_offers(store: ContactStore):
    first = answered_after_one_no_answer(arrived())
    await store.save(first)
    await store.save(first)  # idempotent

    # Offers only grow, at the end: the last one gains its result, a new one follows.
    second = first.snapshot()
    last = second.offers[-1]
    second.offers[-1] = Offer(last.agent_id, last.offered_at, OfferResult.BUSY, cause=17)
    second.offers.append(Offer("a9", T0 + timedelta(seconds=41)))
    second.agent_id = None
    await store.save(second)

    loaded = await store.get(first.id)
    assert loaded == second
    assert loaded is not None
    assert [o.agent_id for o in loaded.offers] == [o.agent_id for o in first.offers] + ["a9"]
    assert (loaded.offers[-2].result, loaded.offers[-2].cause) == (OfferResult.BUSY, 17)


async def test_an_ended_contact_is_not_overwritten_by_an_older_snapshot(store: ContactStore):
    in_progress = answered_after_one_no_answer(arrived())
    final = ended(in_progress)
    await store.save(final)

    assert not await store.save(in_progress)
    assert await store.get(final.id) == final

    corrected = final.snapshot()
    corrected.outcome = Outcome.FAILED
    assert await store.save(corrected)  # a later ended snapshot still wins
    assert await store.get(final.id) == corrected


async def test_list_filters_by_line_and_arrival_in_arrival_order(store: ContactStore):
    line = unique("line")
    times = [T0 + timedelta(minutes=m) for m in (3, 1, 2, 0)]
    for at in times:
        await store.save(arrived(line=line, at=at))
    await store.save(arrived(line=unique("other"), at=T0 + timedelta(minutes=2)))

    listed = await store.list(line=line, since=T0 + timedelta(minutes=1))
    assert [c.arrived_at for c in listed] == sorted(times)[1:]
    assert {c.line for c in listed} == {line}
    assert len(await store.list(line=line, limit=2)) == 2


async def test_naive_times_are_refused(store: ContactStore):
    with pytest.raises(ValueError, match="naive"):
        await store.list(since=T0.replace(tzinfo=None))
    with pytest.raises(Exception, match="naive"):
        await store.save(arrived(at=T0.replace(tzinfo=None)))


async def test_save_many_writes_several_contacts_and_their_offers(store: ContactStore):
    records = [
        ended(answered_after_one_no_answer(arrived())),
        answered_after_one_no_answer(arrived()),
        arrived(at=T0.astimezone(BRUSSELS_SUMMER)),
    ]

    assert await store.save_many(records) == [True, True, True]

    for record in records:
        assert await store.get(record.id) == record
    assert await store.save_many([]) == []


async def test_save_many_leaves_an_ended_contact_and_its_offers_alone(store: ContactStore):
    first = arrived()  # no offers yet: writing it would delete the ended contact's two
    final = ended(answered_after_one_no_answer(first))
    await store.save(final)
    newcomer = arrived()

    assert await store.save_many([first, newcomer]) == [False, True]

    assert await store.get(final.id) == final
    assert await store.get(newcomer.id) == newcomer


async def test_save_many_saves_all_or_nothing(store: ContactStore):
    good = arrived()
    with pytest.raises(Exception, match="naive"):
        await store.save_many([good, arrived(at=T0.replace(tzinfo=None))])
    assert await store.get(good.id) is None


async def test_save_many_refuses_two_snapshots_of_one_contact(store: ContactStore):
    record = arrived()
    with pytest.raises(ValueError, match="repeats"):
        await store.save_many([record, ended(record)])
    assert await store.get(record.id) is None


async def test_unfinished_lists_only_this_engines_contacts_not_ended(db_url: str):
    ours, theirs = unique("engine"), unique("engine")
    waiting, answered = arrived(), answered_after_one_no_answer(arrived())
    done = ended(arrived())
    elsewhere = arrived()
    async with (
        ContactStore.open(db_url, hold=hold_clock, engine_key=ours) as store,
        ContactStore.open(db_url, hold=hold_clock, engine_key=theirs) as other,
    ):
        await store.save_many([waiting, answered, done])
        await other.save(elsewhere)
        found = await store.unfinished()
    assert sorted(r.id for r in found) == sorted([waiting.id, answered.id])
    assert next(r for r in found if r.id == answered.id) == answered  # offers and all


async def test_a_sqlite_database_is_written_through_a_write_ahead_log(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            synchronous = (await connection.execute(text("PRAGMA synchronous"))).scalar()
    finally:
        await engine.dispose()
    # WAL, and synchronous NORMAL (1): no fsync per commit, still safe against corruption.
    assert (mode, synchronous) == ("wal", 1)


async def test_the_upserts_are_compiled_once_not_at_every_save(db_url: str):
    # A dialect insert with ON CONFLICT has no cache key of its own: compiled at every save,
    # it cost the engine about 0.5 ms of CPU per transaction (foundation.sql.compiled_once).
    hits: list[CacheStats] = []
    async with ContactStore.open(db_url, hold=hold_clock) as contacts:
        agents = AgentStateStore(contacts._engine, hold=hold_clock)

        @event.listens_for(contacts._engine.sync_engine, "before_cursor_execute")
        def seen(conn, cursor, statement, params, context, executemany) -> None:
            if statement.lstrip().upper().startswith("INSERT"):
                hits.append(context.cache_hit)

        ids = [unique("agent") for _ in range(3)]
        records = [answered_after_one_no_answer(arrived()) for _ in ids]
        for record, agent_id in zip(records, ids, strict=True):
            await contacts.save(record)
            await agents.save_many([lunch(agent_id)])
        # Three statements through one lambda: each kept apart by its name.
        assert [await contacts.get(r.id) for r in records] == records
        assert [r.agent_id for r in await stored(agents, *ids)] == sorted(ids)
    # Contact, offers, agent state and agent day inserts, three times: each compiled at most
    # once (a sibling test may have compiled it first on the same engine kind: then never),
    # then cached.
    assert len(hits) == 12
    assert hits[4:] == [CacheStats.CACHE_HIT] * 8


async def test_the_survey_reached_and_the_recording_start_round_trip(store: ContactStore):
    record = answered_after_one_no_answer(arrived())
    assert record.answered_at is not None
    record.recording_started_at = record.answered_at
    record.survey_started_at = record.answered_at + timedelta(seconds=90)
    record.survey_question = 2
    await store.save(record)
    unfinished = {r.id: r for r in await store.unfinished()}  # what a restart reads
    assert unfinished[record.id] == record
