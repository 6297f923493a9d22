"""Leases in SQLite or PostgreSQL.  Run :func:`acd.lease.migrate` first.

Each decision is one statement, so two engines starting together cannot both win: taking the
lease is ``INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE <the holder may be replaced>``
(both backends have it), renewing is ``UPDATE ... WHERE owner = :us``.  The conditions are
those of :mod:`acd.lease.rules`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from acd.lease.rules import Holder, Lease
from acd.lease.schema import LEASES
from foundation.sql import SqlStore


class LeaseStore(SqlStore):
    """:class:`acd.lease.rules.Leases` in SQL."""

    async def acquire(
        self, key: str, holder: Holder, now: datetime, ttl: timedelta, *, take_over: bool
    ) -> tuple[bool, Lease | None]:
        values: dict[str, Any] = {
            "key": key,
            "owner": holder.owner,
            "host": holder.host,
            "pid": holder.pid,
            "acquired_at": now,
            "renewed_at": now,
            "expires_at": now + ttl,
        }
        replaceable = (
            true() if take_over else or_(LEASES.c.owner == holder.owner, LEASES.c.expires_at <= now)
        )
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(LEASES).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[LEASES.c.key],
            set_={name: statement.excluded[name] for name in values if name != "key"},
            where=replaceable,
        )
        with self._hold():
            async with self._engine.begin() as connection:
                won = (await connection.execute(statement)).rowcount == 1
            async with self._engine.connect() as connection:
                # Only to report: who holds it now (us, or the engine that refused us).
                return won, await _read(connection, key)

    async def renew(self, key: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        statement = (
            update(LEASES)
            .where(LEASES.c.key == key, LEASES.c.owner == owner)
            .values(renewed_at=now, expires_at=now + ttl)
        )
        with self._hold():
            async with self._engine.begin() as connection:
                return (await connection.execute(statement)).rowcount == 1

    async def release(self, key: str, owner: str) -> None:
        statement = delete(LEASES).where(LEASES.c.key == key, LEASES.c.owner == owner)
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.execute(statement)

    async def get(self, key: str) -> Lease | None:
        with self._hold():
            async with self._engine.connect() as connection:
                return await _read(connection, key)


async def _read(connection: AsyncConnection, key: str) -> Lease | None:
    row = (await connection.execute(select(LEASES).where(LEASES.c.key == key))).first()
    return None if row is None else _lease(row)


def _lease(row: Row[Any]) -> Lease:
    m = row._mapping
    return Lease(
        m["key"],
        Holder(m["owner"], m["host"], m["pid"]),
        m["acquired_at"],
        m["renewed_at"],
        m["expires_at"],
    )
