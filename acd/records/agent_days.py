"""Each agent's figures per day in SQL, read back for the report's occupancy: the finished
days in ``agent_days`` (one row per agent and Brussels day, the last state of that day, copied
by :class:`acd.records.AgentStateStore` when a record of a later day replaces it) and the
newest day in ``agent_states``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from acd.records.schema import AgentDayRow, AgentStateRow
from foundation.contact import Activity, Presence
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


class AgentDayStore(SqlStore):
    """Reads ``agent_days`` and ``agent_states`` (the writer is
    :class:`acd.records.AgentStateStore`)."""

    async def between(self, first: date, last: date) -> list[AgentDay]:
        """Every agent's days from ``first`` to ``last`` (both included), and each agent's
        last day before ``first``, whose stretch may go on into the period; by agent, day.
        An agent's newest day is their stored state's."""
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
                states = await session.scalars(
                    select(AgentStateRow).where(AgentStateRow.stats_day <= last)
                )
                newest = [_newest(row) for row in states]
        days = {(d.agent_id, d.day): d for d in map(_day, found)}
        for day in newest:
            days[(day.agent_id, day.day)] = day  # the same day again: the state is newer
        return _in_period(sorted(days.values(), key=lambda d: (d.agent_id, d.day)), first)


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


def _newest(row: AgentStateRow) -> AgentDay:
    assert row.stats_day is not None  # selected so
    return AgentDay(
        agent_id=row.agent_id,
        day=row.stats_day,
        presence=row.presence,
        state_activity=row.state_activity or Activity.IDLE,
        state_since=row.state_since,
        presence_seconds=json.loads(row.presence_seconds_today or "{}"),
        contacts=row.contacts_today,
        talk_time_s=row.talk_time_today_s,
        wrap_up_s=row.wrap_up_today_s,
        staffed_s=row.staffed_today_s,
        handling_s=row.handling_today_s,
        updated_at=row.updated_at,
    )


def _in_period(days: list[AgentDay], first: date) -> list[AgentDay]:
    """The days from ``first`` on, and of the earlier ones each agent's last only."""
    kept: list[AgentDay] = []
    for day in days:
        if day.day < first and kept and kept[-1].agent_id == day.agent_id and kept[-1].day < first:
            kept[-1] = day  # a later day before the period
        else:
            kept.append(day)
    return kept
