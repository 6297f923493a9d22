"""Each report schedule's last period made (table ``report_runs``, migrated with the contact
records): the next run starts where it ended, so a restart neither skips nor repeats one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Executable, select, update
from sqlalchemy.dialects import postgresql, sqlite

from acd.records.schema import ReportRunRow
from foundation.sql import SqlStore


class ReportRunStore(SqlStore):
    async def last_end(self, schedule: str) -> datetime | None:
        with self._hold():
            async with self._engine.connect() as connection:
                found = await connection.scalar(
                    select(ReportRunRow.period_end).where(ReportRunRow.schedule == schedule)
                )
        return found

    async def advance(
        self, schedule: str, before: datetime | None, period_end: datetime, ran_at: datetime
    ) -> bool:
        """Record ``period_end`` as made, if the stored end is still ``before`` (another node
        may have recorded it first: then False, and nothing changes)."""
        with self._hold():
            async with self._engine.begin() as connection:
                if before is None:
                    insert = (
                        postgresql.insert
                        if self._engine.dialect.name == "postgresql"
                        else sqlite.insert
                    )
                    statement: Executable = (
                        insert(ReportRunRow)
                        .values(schedule=schedule, period_end=period_end, ran_at=ran_at)
                        .on_conflict_do_nothing(index_elements=[ReportRunRow.schedule])
                    )
                else:
                    statement = (
                        update(ReportRunRow)
                        .where(
                            ReportRunRow.schedule == schedule,
                            ReportRunRow.period_end == before,
                        )
                        .values(period_end=period_end, ran_at=ran_at)
                    )
                result = await connection.execute(statement)
        return bool(result.rowcount)
