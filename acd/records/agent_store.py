"""Each agent's durable state in SQL (table ``agent_states``, one row per agent), beside the
contact records and migrated with them.

``save_many`` upserts the newest :class:`~foundation.contact.AgentRecord` of each agent in one
transaction (written by :class:`acd.records.AgentStateWriter`); ``load`` reads them back, once,
when an engine starts.  A stored state of another day than the record replacing it is first
copied to ``agent_days`` (:mod:`acd.records.agent_days`, the report's occupancy): that table
holds each agent's finished days, ``agent_states`` their newest.  One SQL statement per batch
that copies nothing on most: writing every day row with every state cost the records thread
0.3-0.6 ms per call at 20 calls/s (docs/performance.md, "Agent time figures").  The last write
wins: one engine per ARI application (the lease) writes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Date, String, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from acd.records.agent_days import seconds_json
from acd.records.on_cursor import CursorStatement
from acd.records.schema import AgentDayRow, AgentStateRow
from foundation.clock import Hold, no_hold
from foundation.contact import Activity, AgentRecord
from foundation.sql import SqlStore, compiled_once


class AgentStateStore(SqlStore):
    """Agent states in SQLite or PostgreSQL.  Run :func:`acd.records.migrate` first."""

    def __init__(self, engine: AsyncEngine, *, hold: Hold = no_hold) -> None:
        super().__init__(engine, hold=hold)
        dialect = engine.dialect.name
        upsert = _upsert(AgentStateRow, ("agent_id",), dialect)
        days = _day_copy(dialect)
        # Built once, values as parameters, and compiled once per engine (compiled_once).
        self._upsert = compiled_once(upsert, dialect, "agent_states.upsert")
        self._days = compiled_once(days, dialect, "agent_days.copy")
        # The same upserts for a sqlite3 cursor (write_on_cursor).
        sqlite_only = dialect == "sqlite"
        self._on_cursor = CursorStatement(upsert, engine.dialect) if sqlite_only else None
        self._days_on_cursor = CursorStatement(days, engine.dialect) if sqlite_only else None

    async def save_many(self, records: Sequence[AgentRecord]) -> None:
        """Insert or replace several agents' states in one transaction (all or, if it raises,
        none).  Each agent may appear only once."""
        if not records:
            return
        if len({record.agent_id for record in records}) != len(records):
            raise ValueError("save_many takes one record per agent; an agent id repeats")
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.run_sync(self.write, records)

    def write(self, connection: Connection, records: Sequence[AgentRecord]) -> None:
        """:meth:`save_many`'s work inside the caller's transaction, synchronously."""
        # In id order, as the contact store does: concurrent writers lock rows in one order.
        ordered = sorted(records, key=lambda record: record.agent_id)
        connection.execute(self._days, _days(ordered))
        connection.execute(self._upsert, [_values(record) for record in ordered])

    def write_on_cursor(self, cursor: Any, records: Sequence[AgentRecord]) -> None:
        """:meth:`write` on a sqlite3 cursor inside the caller's transaction (SQLite only),
        storing exactly what :meth:`write` stores (``acd.records.on_cursor``)."""
        if self._on_cursor is None or self._days_on_cursor is None:
            raise RuntimeError("write_on_cursor is for SQLite only")
        ordered = sorted(records, key=lambda record: record.agent_id)
        self._days_on_cursor.run_many(cursor, _days(ordered))
        self._on_cursor.run_many(cursor, [_values(record) for record in ordered])

    async def load(self) -> list[AgentRecord]:
        """Every stored agent state, by agent id."""
        with self._hold():
            async with AsyncSession(self._engine) as session:
                rows = await session.scalars(select(AgentStateRow).order_by(AgentStateRow.agent_id))
                return [_record(row) for row in rows]


def _values(record: AgentRecord) -> dict[str, Any]:
    return {
        "agent_id": record.agent_id,
        "presence": record.presence,
        "reason": record.reason,
        "presence_since": record.presence_since,
        "idle_since": record.idle_since,
        "stats_day": record.stats_day,
        "contacts_today": record.contacts_today,
        "talk_time_today_s": record.talk_time_today_s,
        "missed_in_a_row": record.missed_in_a_row,
        "updated_at": record.at,
        "presence_seconds_today": seconds_json(record.presence_seconds_today),
        "wrap_up_today_s": record.wrap_up_today_s,
        "staffed_today_s": record.staffed_today_s,
        "handling_today_s": record.handling_today_s,
        "state_since": record.state_since,
        "state_activity": record.state_activity,
    }


def _days(ordered: Sequence[AgentRecord]) -> list[dict[str, Any]]:
    """The day copy's parameters: every record may end the stored state's day, one without
    a day too (an agent restored the next day, logged out, has not been counted yet)."""
    return [{"agent_id": record.agent_id, "day": record.stats_day} for record in ordered]


def _day_copy(dialect: str) -> Any:
    """Copy an agent's stored state to ``agent_days`` if it is of another day than ``:day``,
    the day of the record about to replace it (an upsert: a day written again after a
    restore is replaced)."""
    state = AgentStateRow
    source = select(
        state.agent_id,
        state.stats_day,
        state.presence,
        func.coalesce(state.state_activity, literal_column(f"'{Activity.IDLE.value}'")),
        state.state_since,
        func.coalesce(state.presence_seconds_today, literal_column("'{}'")),
        state.contacts_today,
        state.talk_time_today_s,
        state.wrap_up_today_s,
        state.staffed_today_s,
        state.handling_today_s,
        state.updated_at,
    ).where(
        state.agent_id == bindparam("agent_id", type_=String),
        state.stats_day.is_not(None),
        state.stats_day.is_distinct_from(bindparam("day", type_=Date)),
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = [column.name for column in AgentDayRow.__table__.columns]
    statement = insert(AgentDayRow).from_select(columns, source)
    return statement.on_conflict_do_update(
        index_elements=["agent_id", "day"],
        set_={
            name: statement.excluded[name] for name in columns if name not in ("agent_id", "day")
        },
    )


def _upsert(table: type[AgentStateRow | AgentDayRow], keys: tuple[str, ...], dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            column.name: statement.excluded[column.name]
            for column in table.__table__.columns
            if column.name not in keys
        },
    )


def _record(row: AgentStateRow) -> AgentRecord:
    return AgentRecord(
        agent_id=row.agent_id,
        presence=row.presence,
        reason=row.reason,
        presence_since=row.presence_since,
        idle_since=row.idle_since,
        stats_day=row.stats_day,
        contacts_today=row.contacts_today,
        talk_time_today_s=row.talk_time_today_s,
        missed_in_a_row=row.missed_in_a_row,
        at=row.updated_at,
        # A row of an earlier release (records migration 0009) has no time figures: zero.
        presence_seconds_today=json.loads(row.presence_seconds_today or "{}"),
        wrap_up_today_s=row.wrap_up_today_s,
        staffed_today_s=row.staffed_today_s,
        handling_today_s=row.handling_today_s,
        state_since=row.state_since,
        state_activity=row.state_activity or Activity.IDLE,
    )
