"""Agents' after-call work, stored by the inbound contact it followed, for the reports' AHT
(talk plus wrap-up, ``sla.service_level.average_handling_time``).

A contact's record is final when its call ends, before the agent's wrap-up does, so the
wrap-up has a table of its own.  :class:`WrapUpRecorder` times it exactly as the metrics do
(``sla.metrics.EngineMetrics``): from the agent entering wrap-up to leaving it, under the
agent's last answered inbound call (one after a callback placement is no inbound handling).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.records.on_cursor import CursorStatement
from acd.records.schema import WrapUpRow
from acd.records.writer import BatchWriter, Saver
from foundation.clock import Hold, no_hold
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
)
from foundation.sql import SqlStore, compiled_once


@dataclass(frozen=True, slots=True)
class WrapUp:
    contact_id: str
    agent_id: str
    started_at: datetime
    ended_at: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


class WrapUpStore(SqlStore):
    """Wrap-ups in SQLite or PostgreSQL.  Run :func:`acd.records.migrate` first."""

    def __init__(self, engine: AsyncEngine, *, hold: Hold = no_hold) -> None:
        super().__init__(engine, hold=hold)
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(WrapUpRow)
        # A retried write of the same wrap-up replaces it: one wrap-up per contact.
        upsert = statement.on_conflict_do_update(
            index_elements=[WrapUpRow.contact_id],
            set_={
                column.name: statement.excluded[column.name]
                for column in WrapUpRow.__table__.columns
                if column.name != "contact_id"
            },
        )
        # Compiled once per engine, as the other upserts (foundation.sql.compiled_once).
        self._upsert = compiled_once(upsert, engine.dialect.name, "contact_wrap_ups.upsert")
        # The same upsert for a sqlite3 cursor (write_on_cursor).
        sqlite_ = engine.dialect.name == "sqlite"
        self._on_cursor = CursorStatement(upsert, engine.dialect) if sqlite_ else None

    async def save_many(self, wrap_ups: Sequence[WrapUp]) -> None:
        if not wrap_ups:
            return
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.run_sync(self.write, wrap_ups)

    def write(self, connection: Connection, wrap_ups: Sequence[WrapUp]) -> None:
        """:meth:`save_many`'s work inside the caller's transaction, synchronously."""
        ordered = sorted(wrap_ups, key=lambda w: w.contact_id)
        connection.execute(self._upsert, [_values(w) for w in ordered])

    def write_on_cursor(self, cursor: Any, wrap_ups: Sequence[WrapUp]) -> None:
        """:meth:`write` on a sqlite3 cursor inside the caller's transaction (SQLite only),
        storing exactly what :meth:`write` stores (``acd.records.on_cursor``)."""
        if self._on_cursor is None:
            raise RuntimeError("write_on_cursor is for SQLite only")
        ordered = sorted(wrap_ups, key=lambda w: w.contact_id)
        self._on_cursor.run_many(cursor, [_values(w) for w in ordered])

    async def seconds_by_contact(self, contact_ids: Sequence[str]) -> dict[str, float]:
        """The wrap-up seconds of those contacts that have one, read in chunks (a month's
        contacts would overflow one ``IN`` list)."""
        found: dict[str, float] = {}
        with self._hold():
            async with self._engine.connect() as connection:
                for offset in range(0, len(contact_ids), _CHUNK):
                    chunk = builtins.list(contact_ids[offset : offset + _CHUNK])
                    rows = await connection.execute(
                        select(WrapUpRow.contact_id, WrapUpRow.seconds).where(
                            WrapUpRow.contact_id.in_(chunk)
                        )
                    )
                    found.update((row[0], float(row[1])) for row in rows)
        return found


_CHUNK = 5000


def _values(wrap_up: WrapUp) -> dict[str, Any]:
    return {
        "contact_id": wrap_up.contact_id,
        "agent_id": wrap_up.agent_id,
        "started_at": wrap_up.started_at,
        "ended_at": wrap_up.ended_at,
        "seconds": wrap_up.seconds,
    }


class WrapUpRecorder(BatchWriter[WrapUp]):
    """A :class:`foundation.contact.ContactEventSink` that writes each finished wrap-up in the
    background.  Call its methods from the event loop's thread."""

    def __init__(self, store: Saver[WrapUp], **options: Any) -> None:
        super().__init__(store, key=lambda w: w.contact_id, what="wrap-up", **options)
        self._timer = WrapUpTimer()

    def contact_event(self, event: ContactEvent) -> None:
        self._timer.contact_event(event)

    def agent_event(self, event: AgentEvent) -> None:
        wrap_up = self._timer.agent_event(event)
        if wrap_up is not None:
            self.put(wrap_up)


class WrapUpTimer:
    """Times agents' wrap-ups from the engine's events, under the inbound call each followed."""

    def __init__(self) -> None:
        self._last_call: dict[str, str] = {}  # agent -> their last answered inbound contact
        self._since: dict[str, datetime] = {}  # agent -> wrapping up since

    def contact_event(self, event: ContactEvent) -> None:
        contact = event.contact
        if contact.agent_id is None:
            return
        if contact.kind is ContactKind.CALLBACK:
            self._last_call.pop(contact.agent_id, None)
        elif event.kind is ContactEventKind.ANSWERED:
            self._last_call[contact.agent_id] = contact.id

    def agent_event(self, event: AgentEvent) -> WrapUp | None:
        """The wrap-up this event ends, if any."""
        since = self._since.pop(event.agent_id, None)
        if event.activity is Activity.WRAP_UP:
            self._since[event.agent_id] = since or event.at
            return None
        if since is None:
            return None
        contact_id = self._last_call.pop(event.agent_id, None)
        if contact_id is None:
            return None
        return WrapUp(contact_id, event.agent_id, since, event.at)
