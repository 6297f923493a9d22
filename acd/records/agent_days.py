"""Each agent's figures per day in SQL (table ``agent_days``, one row per agent and Brussels
day): the newest record of that day, written with the agent's state
(:class:`acd.records.AgentStateStore`), and read back by the report for its occupancy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from acd.records.schema import AgentDayRow
from foundation.contact import Activity, AgentRecord, Presence
from foundation.sql import SqlStore


@dataclass(frozen=True, slots=True)
class AgentDay:
    """One agent's figures of ``day``, up to ``state_since``; from then on the agent was in
    ``presence`` and ``state_activity`` until their next record (of a later day, if any)."""

    agent_id: str
    day: date
    presence: Presence
    state_activity: Activity
    state_since: datetime | None
    presence_seconds: Mapping[str, float]
    contacts: int
    talk_time_s: float
    wrap_up_s: float
    staffed_s: float
    handling_s: float
    updated_at: datetime


def seconds_json(seconds: Mapping[str, float]) -> str:
    return json.dumps(dict(seconds), sort_keys=True)


def day_values(record: AgentRecord) -> dict[str, Any]:
    """The ``agent_days`` row of a record (which has a day: ``stats_day`` set)."""
    return {
        "agent_id": record.agent_id,
        "day": record.stats_day,
        "presence": record.presence,
        "state_activity": record.state_activity,
        "state_since": record.state_since,
        "presence_seconds": seconds_json(record.presence_seconds_today),
        "contacts": record.contacts_today,
        "talk_time_s": record.talk_time_today_s,
        "wrap_up_s": record.wrap_up_today_s,
        "staffed_s": record.staffed_today_s,
        "handling_s": record.handling_today_s,
        "updated_at": record.at,
    }


class AgentDayStore(SqlStore):
    """Reads ``agent_days`` (the writer is :class:`acd.records.AgentStateStore`)."""

    async def between(self, first: date, last: date) -> list[AgentDay]:
        """Every agent's days from ``first`` to ``last`` (both included), and each agent's
        last day before ``first``, whose stretch may go on into the period; by agent, day."""
        earlier = (
            select(AgentDayRow.agent_id, func.max(AgentDayRow.day).label("day"))
            .where(AgentDayRow.day < first)
            .group_by(AgentDayRow.agent_id)
            .subquery()
        )
        with self._hold():
            async with AsyncSession(self._engine) as session:
                inside = await session.scalars(
                    select(AgentDayRow).where(AgentDayRow.day >= first, AgentDayRow.day <= last)
                )
                found = list(inside)
                before = await session.scalars(
                    select(AgentDayRow).join(
                        earlier,
                        (AgentDayRow.agent_id == earlier.c.agent_id)
                        & (AgentDayRow.day == earlier.c.day),
                    )
                )
                found.extend(before)
        days = [_day(row) for row in found]
        return sorted(days, key=lambda d: (d.agent_id, d.day))


def _day(row: AgentDayRow) -> AgentDay:
    return AgentDay(
        agent_id=row.agent_id,
        day=row.day,
        presence=row.presence,
        state_activity=row.state_activity,
        state_since=row.state_since,
        presence_seconds=json.loads(row.presence_seconds),
        contacts=row.contacts,
        talk_time_s=row.talk_time_s,
        wrap_up_s=row.wrap_up_s,
        staffed_s=row.staffed_s,
        handling_s=row.handling_s,
        updated_at=row.updated_at,
    )
