"""Async reads and writes of contact records.

``save_many`` is an idempotent upsert of contact rows and their offers, all in one transaction,
written with two Core statements over parameter lists (the recorder's hot path: per-row ORM
work cost more CPU than the rest of the engine).  A contact's offers only ever grow, at the
end, so they are upserted by position: nothing is deleted and written again.  ``save`` is the
same for one contact.  An ended contact is final: a snapshot taken before the end never
overwrites it, so a late or retried write of an older state cannot undo the outcome.  The rule
is a condition on the SQL upsert, so it also holds between engine nodes writing the same
database.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Select, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from acd.records.on_cursor import CursorStatement
from acd.records.schema import ContactRow, OfferRow
from foundation.clock import Hold, no_hold
from foundation.contact import ContactRecord, Offer, Registration
from foundation.sql import SqlStore, compiled_once

DEFAULT_LIST_LIMIT = 1000


class ContactStore(SqlStore):
    """Contact records in SQLite or PostgreSQL.  Run :func:`acd.records.migrate` first."""

    def __init__(
        self, engine: AsyncEngine, *, hold: Hold = no_hold, engine_key: str | None = None
    ) -> None:
        """``engine_key`` names the engine writing (``acd.lease.lease_key``): stamped on every
        contact it saves, and what :meth:`unfinished` selects by."""
        super().__init__(engine, hold=hold)
        self._engine_key = engine_key
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Built once, values as parameters, and compiled once per engine (compiled_once: an
        # ON CONFLICT insert was compiled anew at every save).
        dialect = engine.dialect.name
        upsert = _upsert(dialect)
        upsert_offers = _upsert_offers(dialect)
        self._upsert = compiled_once(upsert, dialect, "contacts.upsert")
        self._upsert_offers = compiled_once(upsert_offers, dialect, "offers.upsert")
        # The same upserts for a sqlite3 cursor (write_on_cursor).
        self._on_cursor = (
            (
                CursorStatement(upsert, engine.dialect),
                CursorStatement(upsert_offers, engine.dialect),
            )
            if dialect == "sqlite"
            else None
        )

    async def save(self, record: ContactRecord) -> bool:
        """Insert or replace the contact and its offers.

        Returns False, and changes nothing, when the stored contact has ended and ``record``
        (an older snapshot) has not.
        """
        return (await self.save_many([record]))[0]

    async def save_many(self, records: Sequence[ContactRecord]) -> builtins.list[bool]:
        """Insert or replace several contacts and their offers in one transaction: all of them
        are saved or, if it raises, none.

        Returns one flag per record, as :meth:`save` would: False for a record that changed
        nothing because its stored contact has ended and it has not.  Each contact may appear
        only once: coalescing two snapshots of one contact is the caller's business.
        """
        if not records:
            return []
        ids = {record.id for record in records}
        if len(ids) != len(records):
            raise ValueError("save_many takes one snapshot per contact; a contact id repeats")
        with self._hold():
            async with self._engine.begin() as connection:
                written = await connection.run_sync(self.write, records)
        return [record.id in written for record in records]

    def write(self, connection: Connection, records: Sequence[ContactRecord]) -> set[str]:
        """:meth:`save_many`'s work inside the caller's transaction, synchronously (so that a
        caller may write several kinds of record in one transaction, and in one hop to a
        database thread: ``acd.records.together``).  Returns the ids of the contacts written.
        """
        # In id order: nodes writing overlapping batches then lock the rows in the same order
        # and wait for each other instead of deadlocking.
        ordered = sorted(records, key=lambda record: record.id)
        result = connection.execute(
            self._upsert, [_contact_values(record, self._engine_key) for record in ordered]
        )
        # The upsert returns only the rows it wrote: an ended contact left alone is absent,
        # and its offers must stay as they are too.
        written = set(result.scalars().all())
        offers = [
            values for record in ordered if record.id in written for values in _offer_values(record)
        ]
        if offers:
            connection.execute(self._upsert_offers, offers)
        return written

    def write_on_cursor(self, cursor: Any, records: Sequence[ContactRecord]) -> set[str]:
        """:meth:`write` on a sqlite3 cursor inside the caller's transaction (SQLite only),
        storing exactly what :meth:`write` stores (``acd.records.on_cursor``)."""
        if self._on_cursor is None:
            raise RuntimeError("write_on_cursor is for SQLite only")
        upsert, upsert_offers = self._on_cursor
        ordered = sorted(records, key=lambda record: record.id)
        written: set[str] = set()
        # One row at a time: the upsert returns the id it wrote (none for an ended contact
        # left alone), and sqlite3's executemany refuses rows back.
        for record in ordered:
            cursor.execute(upsert.sql, upsert.parameters(_contact_values(record, self._engine_key)))
            if cursor.fetchone() is not None:
                written.add(record.id)
        offers = [
            values for record in ordered if record.id in written for values in _offer_values(record)
        ]
        if offers:
            upsert_offers.run_many(cursor, offers)
        return written

    async def get(self, contact_id: str) -> ContactRecord | None:
        found = await self._load(select(ContactRow).where(ContactRow.id == contact_id))
        return found[0] if found else None

    async def unfinished(self) -> builtins.list[ContactRecord]:
        """This engine's contacts not ended: the calls a restart finds in progress."""
        query = (
            select(ContactRow)
            .where(ContactRow.engine == self._engine_key, ContactRow.ended_at.is_(None))
            .order_by(ContactRow.arrived_at, ContactRow.id)
        )
        return await self._load(query)

    async def list(
        self,
        line: str | None = None,
        since: datetime | None = None,
        limit: int = DEFAULT_LIST_LIMIT,
    ) -> builtins.list[ContactRecord]:
        """Contacts in arrival order, oldest first, optionally of one line and arrived at or
        after ``since``."""
        if since is not None and since.utcoffset() is None:
            raise ValueError(f"naive datetime {since!r}: pass a timezone-aware time")
        query = select(ContactRow)
        if line is not None:
            query = query.where(ContactRow.line == line)
        if since is not None:
            query = query.where(ContactRow.arrived_at >= since)
        query = query.order_by(ContactRow.arrived_at, ContactRow.id).limit(limit)
        return await self._load(query)

    async def arrived_between(self, start: datetime, end: datetime) -> builtins.list[ContactRecord]:
        """Every contact that arrived in ``[start, end)``, in arrival order, without its offers
        (the reports need none, and a month's ids would overflow an ``IN`` list)."""
        for name, moment in (("start", start), ("end", end)):
            if moment.utcoffset() is None:
                raise ValueError(f"naive datetime {name}={moment!r}: pass a timezone-aware time")
        query = (
            select(ContactRow)
            .where(ContactRow.arrived_at >= start, ContactRow.arrived_at < end)
            .order_by(ContactRow.arrived_at, ContactRow.id)
        )
        with self._hold():
            async with self._sessions() as session:
                rows: Sequence[ContactRow] = (await session.scalars(query)).all()
        return [_record(row, []) for row in rows]

    async def _load(self, query: Select[tuple[ContactRow]]) -> builtins.list[ContactRecord]:
        with self._hold():
            async with self._sessions() as session:
                contacts: Sequence[ContactRow] = (await session.scalars(query)).all()
                if not contacts:
                    return []
                offers = await session.scalars(
                    select(OfferRow)
                    .where(OfferRow.contact_id.in_([c.id for c in contacts]))
                    .order_by(OfferRow.contact_id, OfferRow.seq)
                )
                by_contact: dict[str, builtins.list[Offer]] = {}
                for row in offers:
                    by_contact.setdefault(row.contact_id, []).append(_offer(row))
        return [_record(c, by_contact.get(c.id, [])) for c in contacts]


def _upsert(dialect: str) -> ReturningInsert[tuple[str]]:
    """Insert contacts or update them in place, unless the stored one has ended and the new
    one has not; returns the ids of the rows it wrote."""
    statement = (
        postgresql.insert(ContactRow) if dialect == "postgresql" else sqlite.insert(ContactRow)
    )
    return statement.on_conflict_do_update(
        index_elements=[ContactRow.id],
        set_={
            column.name: statement.excluded[column.name]
            for column in ContactRow.__table__.columns
            if column.name != "id"
        },
        where=or_(ContactRow.ended_at.is_(None), statement.excluded.ended_at.is_not(None)),
    ).returning(ContactRow.id)


def _upsert_offers(dialect: str) -> Insert:
    """Insert offers or update them in place by (contact, position): the last offer of a
    contact gains its result and end; earlier ones are rewritten unchanged."""
    statement = postgresql.insert(OfferRow) if dialect == "postgresql" else sqlite.insert(OfferRow)
    return statement.on_conflict_do_update(
        index_elements=[OfferRow.contact_id, OfferRow.seq],
        set_={
            column.name: statement.excluded[column.name]
            for column in OfferRow.__table__.columns
            if column.name not in ("contact_id", "seq")
        },
    )


def _contact_values(record: ContactRecord, engine_key: str | None) -> dict[str, Any]:
    return {
        "engine": engine_key,
        "id": record.id,
        "channel_id": record.channel_id,
        "line": record.line,
        "line_code": record.line_code,
        "caller_number": record.caller_number,
        "arrived_at": record.arrived_at,
        "queued_at": record.queued_at,
        "offered_at": record.offered_at,
        "answered_at": record.answered_at,
        "ended_at": record.ended_at,
        "outcome": record.outcome,
        "agent_id": record.agent_id,
        "wait_seconds": record.wait_seconds,
        "escalation_point": record.escalation_point,
        "transferred_at": record.transferred_at,
        "emailed_to": record.emailed_to,
        "survey_started_at": record.survey_started_at,
        "survey_question": record.survey_question,
        "recording_started_at": record.recording_started_at,
        **_registration_values(record.registration),
    }


def _registration_values(registration: Registration | None) -> dict[str, Any]:
    if registration is None:
        return {
            "note": None,
            "contact_reason": None,
            "links": None,
            "registered_by": None,
            "registered_at": None,
        }
    return {
        "note": registration.note,
        "contact_reason": registration.reason,
        "links": json.dumps(list(registration.links)),
        "registered_by": registration.agent_id,
        "registered_at": registration.at,
    }


def _registration(row: ContactRow) -> Registration | None:
    if row.registered_at is None:
        return None
    return Registration(
        agent_id=row.registered_by or "",
        note=row.note or "",
        reason=row.contact_reason or "",
        links=tuple(json.loads(row.links or "[]")),
        at=row.registered_at,
    )


def _offer_values(record: ContactRecord) -> builtins.list[dict[str, Any]]:
    return [
        {
            "contact_id": record.id,
            "seq": seq,
            "agent_id": offer.agent_id,
            "offered_at": offer.offered_at,
            "ended_at": offer.ended_at,
            "result": offer.result,
            "cause": offer.cause,
        }
        for seq, offer in enumerate(record.offers)
    ]


def _offer(row: OfferRow) -> Offer:
    return Offer(
        agent_id=row.agent_id,
        offered_at=row.offered_at,
        result=row.result,
        ended_at=row.ended_at,
        cause=row.cause,
    )


def _record(row: ContactRow, offers: builtins.list[Offer]) -> ContactRecord:
    return ContactRecord(
        id=row.id,
        channel_id=row.channel_id,
        line=row.line,
        caller_number=row.caller_number,
        arrived_at=row.arrived_at,
        line_code=row.line_code,
        queued_at=row.queued_at,
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        outcome=row.outcome,
        agent_id=row.agent_id,
        offers=offers,
        escalation_point=row.escalation_point,
        transferred_at=row.transferred_at,
        emailed_to=row.emailed_to,
        registration=_registration(row),
        survey_started_at=row.survey_started_at,
        survey_question=row.survey_question,
        recording_started_at=row.recording_started_at,
    )
