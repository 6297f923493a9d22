"""Agent states in SQL (SQLite and PostgreSQL): saved, replaced, read back; and the background
writer that saves the newest of each agent."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta, timezone

import pytest

from acd.records import AgentStateStore, AgentStateWriter
from foundation.clock import hold_clock
from foundation.contact import Activity, AgentEvent, AgentRecord, Presence
from tests.records.contacts import T0, unique


@pytest.fixture
async def agents(db_url: str) -> AsyncIterator[AgentStateStore]:
    async with AgentStateStore.open(db_url, hold=hold_clock) as opened:
        yield opened


def lunch(agent_id: str | None = None, **fields) -> AgentRecord:
    record = AgentRecord(
        agent_id=agent_id or unique("agent"),
        presence=Presence.NOT_AVAILABLE,
        reason="lunch",
        presence_since=T0 + timedelta(minutes=5),
        idle_since=T0,
        stats_day=date(2027, 3, 29),
        contacts_today=12,
        talk_time_today_s=3725.5,
        missed_in_a_row=2,
        at=T0 + timedelta(minutes=6),
    )
    return dataclasses.replace(record, **fields)


async def stored(store: AgentStateStore, *ids: str) -> list[AgentRecord]:
    """Ours only: tests share one PostgreSQL database."""
    return [r for r in await store.load() if r.agent_id in ids]


async def test_agent_states_are_read_back_as_saved_and_replaced_by_newer_ones(
    agents: AgentStateStore,
):
    first, second = lunch(), lunch(presence=Presence.LOGGED_OUT, reason=None, stats_day=None)
    await agents.save_many([first, second])
    assert await stored(agents, first.agent_id, second.agent_id) == sorted(
        [first, second], key=lambda r: r.agent_id
    )

    back = dataclasses.replace(first, presence=Presence.AVAILABLE, reason=None, contacts_today=13)
    await agents.save_many([back])
    assert await stored(agents, first.agent_id) == [back]


async def test_times_come_back_in_utc_whatever_zone_they_were_saved_in(agents: AgentStateStore):
    brussels = timezone(timedelta(hours=2))
    record = lunch(presence_since=T0.astimezone(brussels))
    await agents.save_many([record])
    (back,) = await stored(agents, record.agent_id)
    assert back.presence_since == T0
    assert back.presence_since is not None
    assert back.presence_since.utcoffset() == timedelta(0)


async def test_one_record_per_agent_in_a_batch(agents: AgentStateStore):
    record = lunch()
    with pytest.raises(ValueError, match="an agent id repeats"):
        await agents.save_many([record, record])
    assert await stored(agents, record.agent_id) == []


def event(record: AgentRecord) -> AgentEvent:
    return AgentEvent(
        record.agent_id,
        record.at,
        record.presence,
        Activity.IDLE,
        record.reason,
        None,
        None,
        record,
    )


async def test_the_writer_saves_the_newest_state_of_each_agent(agents: AgentStateStore):
    a, b = unique("agent"), unique("agent")
    async with AgentStateWriter(agents) as writer:
        writer.agent_event(event(lunch(a)))
        await writer.flush()
        assert await stored(agents, a) == [lunch(a)]  # a crash now still finds a at lunch

        back = lunch(a, presence=Presence.AVAILABLE, reason=None, at=T0 + timedelta(hours=1))
        writer.agent_event(event(lunch(b)))
        writer.agent_event(event(back))
        await writer.flush()
    assert await stored(agents, a, b) == sorted([back, lunch(b)], key=lambda r: r.agent_id)
    assert writer.backlog == 0


class Batches:
    def __init__(self) -> None:
        self.saved: list[list[AgentRecord]] = []

    async def save_many(self, records: Sequence[AgentRecord]) -> None:
        self.saved.append(list(records))


@pytest.mark.unit
async def test_states_of_one_agent_queued_together_are_written_once_the_newest():
    saver = Batches()
    writer = AgentStateWriter(saver)
    a = unique("agent")
    changes = [
        lunch(a, presence=Presence.AVAILABLE, reason=None),
        lunch(a),
        lunch(a, presence=Presence.LOGGED_OUT, reason=None),
    ]
    for change in changes:
        writer.agent_event(event(change))
    assert writer.backlog == 1
    async with writer:
        pass
    assert saver.saved == [[changes[-1]]]


@pytest.mark.unit
async def test_an_agent_event_that_changes_nothing_stored_is_not_written_again():
    saver = Batches()
    a = unique("agent")
    available = lunch(a, presence=Presence.AVAILABLE, reason=None)
    async with AgentStateWriter(saver) as writer:
        writer.agent_event(event(available))
        await writer.flush()
        # Reserved, then ringing: only the activity (not stored) and the time change.
        for minutes in (1, 2):
            writer.agent_event(
                event(dataclasses.replace(available, at=T0 + timedelta(minutes=minutes)))
            )
        await writer.flush()
        answered = dataclasses.replace(available, contacts_today=13, at=T0 + timedelta(minutes=3))
        writer.agent_event(event(answered))
    assert saver.saved == [[available], [answered]]


@pytest.mark.unit
async def test_a_presence_change_is_written_at_once_and_counters_may_wait():
    saver = Batches()
    a = unique("agent")
    available = lunch(a, presence=Presence.AVAILABLE, reason=None)
    async with AgentStateWriter(saver, write_interval=0.05, linger=0.25) as writer:
        writer.agent_event(event(available))  # the first record of an agent: urgent
        await asyncio.sleep(0.01)
        assert saver.saved == [[available]]

        answered = dataclasses.replace(available, contacts_today=13, at=T0 + timedelta(minutes=3))
        writer.agent_event(event(answered))
        await asyncio.sleep(0.2)
        assert saver.saved == [[available]]  # a counter: lingers (a kill -9 may lose it)
        await asyncio.sleep(0.1)
        assert saver.saved == [[available], [answered]]

        paused = dataclasses.replace(answered, presence=Presence.NOT_AVAILABLE, reason="lunch")
        writer.agent_event(event(paused))
        await asyncio.sleep(0.06)
        assert saver.saved[-1] == [paused]  # what the agent chose: within the interval
