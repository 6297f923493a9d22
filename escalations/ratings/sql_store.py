"""Escalation ratings in SQLite or PostgreSQL: :class:`escalations.ratings.store.RatingStore`
on SQL.  The table comes with the escalation points' migrations (:func:`escalations.migrate`).

A put is an UPDATE of the key and, when no row was there, an INSERT; an INSERT that loses a
race to another one for the same key is taken as that rating replaced.  The summaries are one
GROUP BY, so a report over many ratings does not read them all.
"""

from __future__ import annotations

import builtins
from typing import Any, cast

from sqlalchemy import Select, Table, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from escalations.ratings.model import (
    EVERY,
    Channel,
    Criterion,
    Group,
    Rating,
    RatingFilter,
    RatingSummary,
    Scores,
)
from escalations.ratings.store import DEFAULT_LIST_LIMIT
from escalations.schema import RatingRow
from foundation.sql import SqlStore

RATINGS = cast(Table, RatingRow.__table__)
_KEY = ("contact_id", "point_id", "rater")


class SqlRatingStore(SqlStore):
    async def put(self, rating: Rating) -> bool:
        values = _values(rating)
        key = [RATINGS.c[name] == values[name] for name in _KEY]
        changes = {k: v for k, v in values.items() if k not in _KEY}
        with self._hold():
            async with self._engine.begin() as connection:
                replaced = await connection.execute(update(RATINGS).where(*key).values(changes))
                if replaced.rowcount:
                    return False
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    await connection.execute(insert(RATINGS).values(values))
        except IntegrityError:
            # The same rater's rating arrived twice at once: the later one replaces.
            with self._hold():
                async with self._engine.begin() as connection:
                    await connection.execute(update(RATINGS).where(*key).values(changes))
            return False
        return True

    async def list(
        self, where: RatingFilter = EVERY, *, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[Rating]:
        query = (
            select(RATINGS)
            .where(*_conditions(where))
            .order_by(RATINGS.c.rated_at, *(RATINGS.c[name] for name in _KEY))
            .limit(limit)
        )
        with self._hold():
            async with self._engine.connect() as connection:
                return [_rating(row) for row in await connection.execute(query)]

    async def summary(
        self, group: Group, where: RatingFilter = EVERY
    ) -> builtins.list[RatingSummary]:
        key = RATINGS.c.point_id if group is Group.POINT else RATINGS.c.agent_id
        query: Select[Any] = (
            select(
                key,
                func.count(),
                *(func.avg(RATINGS.c[c.value] * 1.0) for c in Criterion),
            )
            .where(*_conditions(where))
            .group_by(key)
            .order_by(key)
        )
        with self._hold():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
        return [
            RatingSummary(
                row[0],
                int(row[1]),
                {c: float(row[2 + i]) for i, c in enumerate(Criterion)},
            )
            for row in rows
        ]


def _conditions(where: RatingFilter) -> builtins.list[ColumnElement[bool]]:
    found = []
    if where.point_id is not None:
        found.append(RATINGS.c.point_id == where.point_id)
    if where.agent_id is not None:
        found.append(RATINGS.c.agent_id == where.agent_id)
    if where.since is not None:
        found.append(RATINGS.c.rated_at >= where.since)
    if where.until is not None:
        found.append(RATINGS.c.rated_at < where.until)
    return found


def _values(rating: Rating) -> dict[str, Any]:
    return {
        "contact_id": rating.contact_id,
        "point_id": rating.point_id,
        "rater": rating.rater,
        **{c.value: rating.scores.of(c) for c in Criterion},
        "comment": rating.comment,
        "agent_id": rating.agent_id,
        "line_code": rating.line_code,
        "channel": rating.channel.value,
        "rated_at": rating.rated_at,
    }


def _rating(row: Row[Any]) -> Rating:
    m = row._mapping
    return Rating(
        contact_id=m["contact_id"],
        point_id=m["point_id"],
        rater=m["rater"],
        scores=Scores(m["clarity"], m["completeness"], m["correctness"]),
        comment=m["comment"],
        agent_id=m["agent_id"],
        line_code=m["line_code"],
        channel=Channel(m["channel"]),
        rated_at=m["rated_at"],
    )
