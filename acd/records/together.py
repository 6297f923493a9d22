"""The engine's records written together: contact snapshots, agent states and wrap-ups go
through one :class:`~acd.records.writer.BatchWriter`, and each of its batches is one SQL
transaction.

Written by three writers, the three kinds cost up to three transactions per tick (each some
eight hand-offs to aiosqlite's thread, and SQLAlchemy's begin and commit); a transaction costs
about as much for one row as for fifty.  The rules of each kind stay as they were: a finished
contact and a presence or reason change are urgent (on disk within the write interval, 50 ms),
a contact in progress and an agent's counters may linger (250 ms), an ended contact is never
replaced by a snapshot from before its end, and of an agent or a wrap-up the newest wins.  A
wrap-up is urgent, as it was under its own writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.records.agent_store import AgentStateStore
from acd.records.recorder import AgentChanges, ended_is_final
from acd.records.store import ContactStore
from acd.records.wrap_ups import WrapUp, WrapUpStore, WrapUpTimer
from acd.records.writer import DEFAULT_LINGER, BatchWriter, Saver
from foundation.clock import Hold, no_hold
from foundation.contact import AgentEvent, AgentRecord, ContactEvent, ContactRecord
from foundation.sql import sqlite_file_connection, sqlite_file_path

Record = ContactRecord | AgentRecord | WrapUp

# Keys are prefixed by kind: a contact and its wrap-up share an id.
_CONTACT, _AGENT, _WRAP_UP = "contact:", "agent:", "wrap-up:"


class RecordsStore:
    """Saves a batch of mixed records in one transaction through the three stores, which
    share ``engine``.

    On a SQLite file the transaction runs whole in a thread of its own on a synchronous
    connection: one hand-off from the event loop per batch.  Through aiosqlite each statement
    costs three (cursor, execute, close) and the transaction two more (commit, and the pool's
    reset), each a queue put, a thread wake-up and a wake-up of the event loop: about 12 per
    batch.  PostgreSQL (asyncpg) has no thread to hand off to and goes through ``engine``.
    Call :meth:`close` when done.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        hold: Hold = no_hold,
        engine_key: str | None = None,
        url: str | None = None,
    ) -> None:
        """``url``: the database's, to write a SQLite file in a thread of its own."""
        self.engine = engine
        self._hold = hold
        self.contacts = ContactStore(engine, hold=hold, engine_key=engine_key)
        self.agents = AgentStateStore(engine, hold=hold)
        self.wrap_ups = WrapUpStore(engine, hold=hold)
        self._file = None if url is None else sqlite_file_path(url)
        self._connection: sqlite3.Connection | None = None  # opened in the thread, on use
        self._thread = (
            None
            if self._file is None
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="records-sql")
        )

    async def save_many(self, records: Sequence[Record]) -> None:
        """All of ``records`` (one per kind and key) or, if it raises, none."""
        if not records:
            return
        with self._hold():
            if self._thread is not None:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._thread, self._transaction, records)
                return
            async with self.engine.begin() as connection:
                await connection.run_sync(self._write, records)

    async def close(self) -> None:
        """Close the thread's connection and end the thread (after a batch still running)."""
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        with self._hold():
            await asyncio.get_running_loop().run_in_executor(thread, self._disconnect)
        thread.shutdown(wait=False)

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _transaction(self, records: Sequence[Record]) -> None:
        # The statements straight on a sqlite3 cursor (acd.records.on_cursor) and the
        # transaction a plain BEGIN ... COMMIT: SQLAlchemy's execution machinery, and then its
        # begin, pool checkout and commit, cost the thread more CPU than the statements.
        if self._connection is None:
            assert self._file is not None
            self._connection = sqlite_file_connection(self._file)
        connection = self._connection
        cursor = connection.cursor()
        try:
            cursor.execute("BEGIN")
            self._write_on_cursor(cursor, records)
            cursor.execute("COMMIT")
        except BaseException:
            # All or nothing, a failed COMMIT (the file busy past the timeout) included.
            if connection.in_transaction:
                connection.rollback()
            raise
        finally:
            cursor.close()

    def _write_on_cursor(self, cursor: Any, records: Sequence[Record]) -> None:
        for store, rows in self._by_store(records):
            store.write_on_cursor(cursor, rows)

    def _write(self, connection: Connection, records: Sequence[Record]) -> None:
        for store, rows in self._by_store(records):
            store.write(connection, rows)

    def _by_store(self, records: Sequence[Record]) -> list[tuple[Any, list[Any]]]:
        """Each store with its records of the batch, contacts first (a wrap-up names its
        contact), the stores with none left out."""
        kinds = (
            (self.contacts, ContactRecord),
            (self.agents, AgentRecord),
            (self.wrap_ups, WrapUp),
        )
        grouped = [(store, [r for r in records if isinstance(r, kind)]) for store, kind in kinds]
        return [(store, rows) for store, rows in grouped if rows]


class RecordsWriter(BatchWriter[Record]):
    """A :class:`foundation.contact.ContactEventSink` that writes contact records, agent
    states and wrap-ups in the background, one transaction per batch.  Call its methods
    from the event loop's thread."""

    def __init__(self, store: Saver[Record], **options: Any) -> None:
        """``store``: a :class:`RecordsStore`."""
        options.setdefault("linger", DEFAULT_LINGER)
        super().__init__(store, key=_key, merge=_merge, what="record", **options)
        self._agents = AgentChanges()
        self._wrap_ups = WrapUpTimer()

    def contact_event(self, event: ContactEvent) -> None:
        # A finished contact is on disk within the write interval; one still in progress may
        # wait up to the linger (a restart takes its call up from ARI).
        self.put(event.contact, urgent=event.contact.ended_at is not None)
        self._wrap_ups.contact_event(event)

    def agent_event(self, event: AgentEvent) -> None:
        urgent = self._agents.urgency(event.record)
        if urgent is not None:
            self.put(event.record, urgent=urgent)
        wrap_up = self._wrap_ups.agent_event(event)
        if wrap_up is not None:
            self.put(wrap_up)

    def backlog_of(self, kind: type[Record]) -> int:
        """Records of one kind not written yet."""
        prefix = _prefix(kind)
        return sum(1 for key in self.unsaved_keys() if key.startswith(prefix))


def _prefix(kind: type[Record]) -> str:
    if kind is ContactRecord:
        return _CONTACT
    return _AGENT if kind is AgentRecord else _WRAP_UP


def _key(record: Record) -> str:
    if isinstance(record, ContactRecord):
        return _CONTACT + record.id
    if isinstance(record, AgentRecord):
        return _AGENT + record.agent_id
    return _WRAP_UP + record.contact_id


def _merge(older: Record, newer: Record) -> Record:
    if isinstance(older, ContactRecord) and isinstance(newer, ContactRecord):
        return ended_is_final(older, newer)
    return newer
