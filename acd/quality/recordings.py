"""Call recordings' metadata in SQL: written when a recording starts and again when it ends
(the row replaced whole: the core's step carries every field), read back by contact or day; a
recording Asterisk refused has no file, and its row is deleted.

The files are Asterisk's (ARI bridge recordings, ``name`` + ``format``); this table says whose
conversation each one holds, so they can be listed per agent, line code and date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.engine.commands import RecordingStep
from acd.quality.schema import RecordingRow
from acd.records.writer import BatchWriter, Saver
from foundation.clock import Hold, no_hold
from foundation.sql import SqlStore

_FIELDS = (
    "name",
    "contact_id",
    "agent_id",
    "line",
    "line_code",
    "format",
    "started_at",
    "ended_at",
    "on_demand",
)


class RecordingStore(SqlStore):
    """Recordings' metadata in SQLite or PostgreSQL (run :func:`acd.quality.migrate.migrate`)."""

    def __init__(self, engine: AsyncEngine, *, hold: Hold = no_hold) -> None:
        super().__init__(engine, hold=hold)
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(RecordingRow)
        self._upsert = statement.on_conflict_do_update(
            index_elements=[RecordingRow.name],
            set_={name: statement.excluded[name] for name in _FIELDS if name != "name"},
        )

    async def save_many(self, steps: Sequence[RecordingStep]) -> None:
        """Each step's row written whole; a refused recording's row deleted (no file)."""
        if not steps:
            return
        kept = [step for step in steps if not step.refused]
        rows = [{name: getattr(step, name) for name in _FIELDS} for step in kept]
        gone = sorted(step.name for step in steps if step.refused)
        with self._hold():
            async with self._engine.begin() as connection:
                if rows:
                    await connection.execute(self._upsert, sorted(rows, key=lambda r: r["name"]))
                if gone:
                    await connection.execute(
                        delete(RecordingRow).where(RecordingRow.name.in_(gone))
                    )

    async def expired(
        self, now: datetime, retention_days: Mapping[str, int], default_days: int
    ) -> list[RecordingStep]:
        """Recordings ended longer ago than their line's retention, neither held nor deleted."""
        oldest = now - timedelta(days=min([default_days, *retention_days.values()]))
        query = select(RecordingRow).where(
            RecordingRow.ended_at.is_not(None),
            RecordingRow.ended_at <= oldest,
            RecordingRow.held.is_(False),
            RecordingRow.deleted_at.is_(None),
        )
        with self._hold():
            async with self._engine.connect() as connection:
                found = [_step(row._mapping) for row in await connection.execute(query)]
        return [
            step
            for step in found
            if step.ended_at is not None
            and step.ended_at <= now - timedelta(days=retention_days.get(step.line, default_days))
        ]

    async def mark_deleted(self, name: str, at: datetime) -> None:
        await self._update(name, deleted_at=at)

    async def hold(self, name: str) -> bool:
        """Keep a recording past its retention; False if there is no such recording."""
        return await self._update(name, held=True)

    async def get(self, name: str) -> tuple[RecordingStep, bool, datetime | None] | None:
        """A recording's metadata, whether it is held, and when its file was deleted."""
        with self._hold():
            async with self._engine.connect() as connection:
                row = (
                    await connection.execute(select(RecordingRow).where(RecordingRow.name == name))
                ).first()
        if row is None:
            return None
        return _step(row._mapping), bool(row._mapping["held"]), row._mapping["deleted_at"]

    async def _update(self, name: str, **values: Any) -> bool:
        with self._hold():
            async with self._engine.begin() as connection:
                done = await connection.execute(
                    update(RecordingRow).where(RecordingRow.name == name).values(**values)
                )
                return bool(done.rowcount)

    async def between(self, start: datetime, end: datetime) -> list[RecordingStep]:
        """Recordings started in [start, end), oldest first."""
        query = (
            select(RecordingRow)
            .where(RecordingRow.started_at >= start, RecordingRow.started_at < end)
            .order_by(RecordingRow.started_at)
        )
        with self._hold():
            async with self._engine.connect() as connection:
                return [_step(row._mapping) for row in await connection.execute(query)]


def _step(row: Any) -> RecordingStep:
    return RecordingStep(**{name: row[name] for name in _FIELDS})


class RecordingRecorder(BatchWriter[RecordingStep]):
    """A recording sink of the runtime: each start and end written within the interval; an
    end filed before its start was written replaces it (it carries everything)."""

    def __init__(self, store: Saver[RecordingStep], **options: Any) -> None:
        super().__init__(store, key=lambda step: step.name, what="recording", **options)

    def __call__(self, step: RecordingStep) -> None:
        self.put(step)
