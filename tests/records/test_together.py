"""Contact records, agent states and wrap-ups written together: one transaction per batch,
each kind keeping its own urgency."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sql_event

from acd.records import together
from acd.records.together import Record, RecordsStore, RecordsWriter
from foundation.clock import hold_clock
from foundation.contact import Activity, AgentEvent, ContactEventKind, Presence
from foundation.sql import create_engine, sqlite_file_connection
from tests.records.contacts import T0, answered_after_one_no_answer, arrived, ended, event
from tests.records.test_agent_states import lunch

ARRIVED = ContactEventKind.ARRIVED
ANSWERED = ContactEventKind.ANSWERED
ENDED = ContactEventKind.ENDED


def agent_event(record: Any, activity: Activity = Activity.IDLE) -> AgentEvent:
    return AgentEvent(
        record.agent_id, record.at, record.presence, activity, record.reason, None, None, record
    )


@pytest.mark.parametrize("own_thread", [True, False], ids=["own-thread", "through-engine"])
async def test_a_call_its_agent_and_the_wrap_up_are_saved_in_one_transaction(
    db_url: str, own_thread: bool, monkeypatch: pytest.MonkeyPatch
):
    # own_thread: a SQLite file is written in a thread of its own (PostgreSQL never is), on a
    # plain sqlite3 connection: its COMMITs are seen in its statement trace.
    engine = create_engine(db_url)
    commits: list[object] = []
    commit = commits.append  # one bound method, to remove the listener by
    sql_event.listen(Engine, "commit", commit)

    def traced(path: str) -> sqlite3.Connection:
        connection = sqlite_file_connection(path)
        connection.set_trace_callback(lambda sql: commit(sql) if sql == "COMMIT" else None)
        return connection

    monkeypatch.setattr(together, "sqlite_file_connection", traced)
    store = RecordsStore(engine, hold=hold_clock, url=db_url if own_thread else None)
    try:
        call = answered_after_one_no_answer(arrived())
        agent = lunch("a2", presence=Presence.AVAILABLE, reason=None)
        async with RecordsWriter(store) as writer:
            writer.contact_event(event(ANSWERED, call))
            await writer.flush()
            commits.clear()
            # The call ends, a2 wraps up for 40 s and is idle again: three kinds, one commit.
            finished = ended(call)
            writer.contact_event(event(ENDED, finished))
            writer.agent_event(agent_event(agent, Activity.WRAP_UP))
            back = dataclasses.replace(
                agent, contacts_today=13, at=agent.at + timedelta(seconds=40)
            )
            writer.agent_event(agent_event(back))
            await writer.flush()
        assert len(commits) == 1
        assert await store.contacts.get(call.id) == finished
        assert [r for r in await store.agents.load() if r.agent_id == "a2"] == [back]
        seconds = await store.wrap_ups.seconds_by_contact([call.id])
        assert seconds == {call.id: pytest.approx((back.at - agent.at).total_seconds())}
    finally:
        sql_event.remove(Engine, "commit", commit)
        await store.close()
        await engine.dispose()


class Batches:
    """A saver that keeps each batch's keys."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def save_many(self, records: Sequence[Record]) -> None:
        self.batches.append([type(r).__name__ for r in records])


@pytest.mark.unit
async def test_counters_linger_until_a_finished_contact_or_a_presence_change_takes_them():
    saver = Batches()
    a = lunch("a1", presence=Presence.AVAILABLE, reason=None, at=T0)
    async with RecordsWriter(saver, write_interval=0.05, linger=0.25) as writer:
        writer.agent_event(agent_event(a))  # first sight of an agent: urgent
        await asyncio.sleep(0.06)
        assert saver.batches == [["AgentRecord"]]

        writer.agent_event(agent_event(dataclasses.replace(a, contacts_today=5)))
        writer.contact_event(event(ARRIVED, arrived()))
        await asyncio.sleep(0.2)
        assert saver.batches == [["AgentRecord"]]  # both may wait for company
        writer.contact_event(event(ENDED, ended(answered_after_one_no_answer(arrived()))))
        await asyncio.sleep(0.001)
        assert saver.batches[1:] == [["AgentRecord", "ContactRecord", "ContactRecord"]]

        writer.agent_event(agent_event(dataclasses.replace(a, presence=Presence.NOT_AVAILABLE)))
        await asyncio.sleep(0.051)  # a presence change: within the interval
        assert saver.batches[2:] == [["AgentRecord"]]
        assert writer.backlog == 0
