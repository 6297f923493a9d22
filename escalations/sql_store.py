"""The escalation points in SQLite or PostgreSQL: :class:`escalations.store.EscalationStore`
on SQL.  Run :func:`escalations.migrate` first.

Each write is one transaction: the point's row and its line codes change together.  A create
that races another for the same id loses on the primary key and is refused as
:class:`~escalations.store.EscalationExists`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from escalations.codec import from_data, to_data
from escalations.model import EscalationPoint
from escalations.schema import PointLineCodeRow, PointRow
from escalations.store import EscalationExists, EscalationNotFound
from foundation.sql import SqlStore

POINTS = cast(Table, PointRow.__table__)
LINE_CODES = cast(Table, PointLineCodeRow.__table__)


class SqlEscalationStore(SqlStore):
    async def list(self, *, line_code: str | None = None) -> builtins.list[EscalationPoint]:
        query = select(POINTS.c.document).order_by(POINTS.c.id)
        if line_code is not None:
            linked = select(LINE_CODES.c.point_id).where(LINE_CODES.c.line_code == line_code)
            query = query.where(POINTS.c.id.in_(linked))
        with self._hold():
            async with self._engine.connect() as connection:
                documents = (await connection.scalars(query)).all()
        return [from_data(document) for document in documents]

    async def get(self, point_id: str) -> EscalationPoint | None:
        with self._hold():
            async with self._engine.connect() as connection:
                document = await connection.scalar(
                    select(POINTS.c.document).where(POINTS.c.id == point_id)
                )
        return None if document is None else from_data(document)

    async def create(self, point: EscalationPoint) -> None:
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    await _insert(connection, point)
        except IntegrityError:
            raise EscalationExists(point.id) from None

    async def update(self, point: EscalationPoint) -> None:
        with self._hold():
            async with self._engine.begin() as connection:
                changed = await connection.execute(
                    update(POINTS).where(POINTS.c.id == point.id).values(_columns(point))
                )
                if not changed.rowcount:
                    raise EscalationNotFound(point.id)
                await connection.execute(
                    delete(LINE_CODES).where(LINE_CODES.c.point_id == point.id)
                )
                await _link(connection, point)

    async def delete(self, point_id: str) -> None:
        with self._hold():
            async with self._engine.begin() as connection:
                # Not left to ON DELETE CASCADE: the store must not depend on the backend
                # enforcing foreign keys.
                await connection.execute(
                    delete(LINE_CODES).where(LINE_CODES.c.point_id == point_id)
                )
                gone = await connection.execute(delete(POINTS).where(POINTS.c.id == point_id))
                if not gone.rowcount:
                    raise EscalationNotFound(point_id)

    async def seed(self, points: Iterable[EscalationPoint]) -> builtins.list[str]:
        added = []
        for point in points:
            try:
                with self._hold():
                    async with self._engine.begin() as connection:
                        known = await connection.scalar(
                            select(POINTS.c.id).where(POINTS.c.id == point.id)
                        )
                        if known is not None:
                            continue
                        await _insert(connection, point)
            except IntegrityError:
                continue  # another node seeded it first
            added.append(point.id)
        return added


def _columns(point: EscalationPoint) -> dict[str, Any]:
    return {
        "editorial_title": point.editorial_title,
        "phone_e164": point.phone_e164,
        "email": point.email,
        "document": to_data(point),
    }


async def _insert(connection: AsyncConnection, point: EscalationPoint) -> None:
    await connection.execute(insert(POINTS).values(id=point.id, **_columns(point)))
    await _link(connection, point)


async def _link(connection: AsyncConnection, point: EscalationPoint) -> None:
    await connection.execute(
        insert(LINE_CODES), [{"point_id": point.id, "line_code": c} for c in point.line_codes]
    )
