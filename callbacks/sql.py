"""The SQL under :class:`callbacks.store.CallbackStore`: the engine it runs on, the tables as
Core objects, and the statements it is built from, each taking an open connection so the store
decides what one transaction holds.

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: a transaction that reads and then
writes would otherwise fail at once with "database is locked" when another one wrote
meanwhile, instead of waiting its turn.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select

from callbacks.model import OPEN_STATUSES, Attempt, AttemptResult, Callback, CallbackStatus
from callbacks.schedule import Outcome
from callbacks.schema import AttemptRow, CallbackRow, RequestRow
from foundation.sql import create_engine

CALLBACKS = cast(Table, CallbackRow.__table__)
ATTEMPTS = cast(Table, AttemptRow.__table__)
REQUESTS = cast(Table, RequestRow.__table__)


def create_store_engine(url: str) -> AsyncEngine:
    """An async engine for the store; on SQLite, with ``BEGIN IMMEDIATE`` transactions."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_manual_begin)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_manual_begin(dbapi_connection: Any, _record: Any) -> None:
    # The driver would otherwise start its own deferred transaction before the first write.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: SyncConnection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Lost(Exception):
    """A conditional update found the row changed by someone else: roll back."""


async def request_or_merge(
    connection: AsyncConnection, values: dict[str, Any], key: str
) -> tuple[Callback, bool]:
    """The request's callback and whether it was merged: the one a request with ``key`` got
    before, else the open one of the same number and line code (one more merged request),
    else a new one.  A race with another request surfaces as an IntegrityError at commit or
    insert; the caller runs this again and finds the winner's rows."""
    known = (
        await connection.execute(
            select(REQUESTS.c.callback_id, REQUESTS.c.merged).where(REQUESTS.c.key == key)
        )
    ).first()
    if known is not None:
        return (await load(connection, [known.callback_id]))[0], bool(known.merged)
    open_one = (
        select(CALLBACKS.c.id)
        .where(
            CALLBACKS.c.number == values["number"],
            CALLBACKS.c.line_code == values["line_code"],
            CALLBACKS.c.status.in_(sorted(OPEN_STATUSES)),
        )
        .with_for_update()
    )
    callback_id = (await connection.execute(open_one)).scalar_one_or_none()
    merged = callback_id is not None
    now = values["requested_at"]
    if callback_id is not None:
        await connection.execute(
            update(CALLBACKS)
            .where(CALLBACKS.c.id == callback_id)
            .values(merged_count=CALLBACKS.c.merged_count + 1, updated_at=now)
        )
    else:
        callback_id = uuid.uuid4().hex
        await connection.execute(
            insert(CALLBACKS).values(
                id=callback_id,
                status=CallbackStatus.PENDING,
                merged_count=0,
                attempt_count=0,
                updated_at=now,
                **values,
            )
        )
    await connection.execute(
        insert(REQUESTS).values(
            key=key,
            callback_id=callback_id,
            merged=merged,
            contact_id=values["contact_id"],
            requested_at=now,
        )
    )
    return (await load(connection, [callback_id]))[0], merged


async def close_attempt(
    connection: AsyncConnection,
    callback_id: str,
    seq: int,
    result: AttemptResult,
    now: datetime,
    agent_id: str | None,
) -> bool:
    """End attempt ``seq`` if it is still under way; whether it was."""
    values: dict[str, Any] = {"ended_at": now, "result": result}
    if agent_id is not None:
        values["agent_id"] = agent_id
    closed = await connection.execute(
        update(ATTEMPTS)
        .where(
            ATTEMPTS.c.callback_id == callback_id,
            ATTEMPTS.c.seq == seq,
            ATTEMPTS.c.ended_at.is_(None),
        )
        .values(values)
    )
    return bool(closed.rowcount)


async def apply_outcome(
    connection: AsyncConnection,
    callback_id: str,
    seq: int,
    outcome: Outcome,
    now: datetime,
    agent_id: str | None,
) -> None:
    """Move a dialing callback whose latest attempt is ``seq``; raise :class:`Lost` if it
    is not (any more)."""
    values = outcome_values(outcome, now)
    if agent_id is not None:
        values["agent_id"] = agent_id
    moved = await connection.execute(
        update(CALLBACKS)
        .where(
            CALLBACKS.c.id == callback_id,
            CALLBACKS.c.status == CallbackStatus.DIALING,
            CALLBACKS.c.attempt_count == seq,
        )
        .values(values)
    )
    if not moved.rowcount:
        raise Lost


def outcome_values(outcome: Outcome, now: datetime) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "next_attempt_at": outcome.next_attempt_at,
        "reason": outcome.reason,
        "claimed_by": None,
        "closed_at": now if outcome.final else None,
        "updated_at": now,
    }


async def load(connection: AsyncConnection, ids: Sequence[str]) -> list[Callback]:
    """The callbacks with these ids, in that order (missing ones left out)."""
    if not ids:
        return []
    found = await fetch(connection, select(CALLBACKS).where(CALLBACKS.c.id.in_(list(ids))))
    by_id = {callback.id: callback for callback in found}
    return [by_id[i] for i in ids if i in by_id]


async def fetch(connection: AsyncConnection, query: Select[Any]) -> list[Callback]:
    rows = (await connection.execute(query)).all()
    if not rows:
        return []
    attempts: dict[str, list[Attempt]] = {}
    found = await connection.execute(
        select(ATTEMPTS)
        .where(ATTEMPTS.c.callback_id.in_([row.id for row in rows]))
        .order_by(ATTEMPTS.c.callback_id, ATTEMPTS.c.seq)
    )
    for row in found:
        attempts.setdefault(row.callback_id, []).append(
            Attempt(
                seq=row.seq,
                started_at=row.started_at,
                ended_at=row.ended_at,
                result=row.result,
                agent_id=row.agent_id,
                node_id=row.node_id,
            )
        )
    return [to_callback(row, tuple(attempts.get(row.id, ()))) for row in rows]


def to_callback(row: Any, attempts: tuple[Attempt, ...]) -> Callback:
    return Callback(
        id=row.id,
        number=row.number,
        line=row.line,
        line_code=row.line_code,
        contact_id=row.contact_id,
        requested_at=row.requested_at,
        due_by=row.due_by,
        status=row.status,
        priority=row.priority,
        attempts=attempts,
        agent_id=row.agent_id,
        reason=row.reason,
        next_attempt_at=row.next_attempt_at,
        merged_count=row.merged_count,
        claimed_by=row.claimed_by,
        closed_at=row.closed_at,
    )
