"""Where escalation points live: the :class:`EscalationStore` contract, and
:class:`MemoryEscalationStore`, the contract in a dict (tests, and the readable definition).
:class:`escalations.sql_store.SqlEscalationStore` is the durable one; both pass the same
contract tests (``tests/escalations/test_store.py``).

A store holds points as configured (scheduled changes still listed, old deviations kept);
:func:`escalations.rules.as_of` shows them as they stand on a date.  Rules between points
(every line code covered) are the caller's to check before a write: a store only refuses what
it can see in one row, an id twice or an id that is not there.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Protocol

from escalations.model import EscalationPoint
from foundation.errors import AcdError


class EscalationNotFound(AcdError):
    def __init__(self, point_id: str) -> None:
        self.point_id = point_id
        super().__init__(f"no escalation point {point_id!r}")


class EscalationExists(AcdError):
    def __init__(self, point_id: str) -> None:
        self.point_id = point_id
        super().__init__(f"escalation point {point_id!r} exists already")


class EscalationStore(Protocol):
    async def list(self, *, line_code: str | None = None) -> builtins.list[EscalationPoint]:
        """Every point (or those linked to ``line_code``), by id."""
        ...

    async def get(self, point_id: str) -> EscalationPoint | None: ...

    async def create(self, point: EscalationPoint) -> None:
        """Add a point; :class:`EscalationExists` when its id is taken."""
        ...

    async def update(self, point: EscalationPoint) -> None:
        """Replace the point with the same id; :class:`EscalationNotFound` if there is none."""
        ...

    async def delete(self, point_id: str) -> None:
        """Remove a point; :class:`EscalationNotFound` if there is none."""
        ...

    async def seed(self, points: Iterable[EscalationPoint]) -> builtins.list[str]:
        """Add the points whose ids the store does not hold yet (from the config at start);
        points already there, perhaps edited through the API, are kept.  The ids added."""
        ...


class MemoryEscalationStore:
    """:class:`EscalationStore` in a dict."""

    def __init__(self, points: Iterable[EscalationPoint] = ()) -> None:
        self.points: dict[str, EscalationPoint] = {p.id: p for p in points}

    async def list(self, *, line_code: str | None = None) -> builtins.list[EscalationPoint]:
        return [
            self.points[key]
            for key in sorted(self.points)
            if line_code is None or line_code in self.points[key].line_codes
        ]

    async def get(self, point_id: str) -> EscalationPoint | None:
        return self.points.get(point_id)

    async def create(self, point: EscalationPoint) -> None:
        if point.id in self.points:
            raise EscalationExists(point.id)
        self.points[point.id] = point

    async def update(self, point: EscalationPoint) -> None:
        if point.id not in self.points:
            raise EscalationNotFound(point.id)
        self.points[point.id] = point

    async def delete(self, point_id: str) -> None:
        if self.points.pop(point_id, None) is None:
            raise EscalationNotFound(point_id)

    async def seed(self, points: Iterable[EscalationPoint]) -> builtins.list[str]:
        added = []
        for point in points:
            if point.id not in self.points:
                self.points[point.id] = point
                added.append(point.id)
        return added
