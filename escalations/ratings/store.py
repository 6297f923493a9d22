"""Where escalation ratings live: the :class:`RatingStore` contract and
:class:`MemoryRatingStore`, the contract in a dict.  :class:`escalations.ratings.sql_store.
SqlRatingStore` is the durable one; both pass ``tests/escalations/test_ratings_store.py``.

A rating is keyed by (contact, point, rater): :meth:`RatingStore.put` of the same key again
replaces the scores, comment and time, so a rater may correct themselves and a retried request
changes nothing.
"""

from __future__ import annotations

import builtins
from typing import Protocol

from escalations.ratings.model import EVERY, Group, Rating, RatingFilter, RatingSummary, summarise

DEFAULT_LIST_LIMIT = 1000


class RatingStore(Protocol):
    async def put(self, rating: Rating) -> bool:
        """Store the rating, replacing the same rater's rating of the same escalation; True
        when it is new."""
        ...

    async def list(
        self, where: RatingFilter = EVERY, *, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[Rating]:
        """Ratings matching ``where``, oldest first (by time, then contact, point, rater)."""
        ...

    async def summary(
        self, group: Group, where: RatingFilter = EVERY
    ) -> builtins.list[RatingSummary]:
        """Counts and averages of the ratings matching ``where``, per point or agent, by key."""
        ...


def _key(rating: Rating) -> tuple[str, str, str]:
    return rating.contact_id, rating.point_id, rating.rater


class MemoryRatingStore:
    """:class:`RatingStore` in a dict."""

    def __init__(self) -> None:
        self.ratings: dict[tuple[str, str, str], Rating] = {}

    async def put(self, rating: Rating) -> bool:
        new = _key(rating) not in self.ratings
        self.ratings[_key(rating)] = rating
        return new

    async def list(
        self, where: RatingFilter = EVERY, *, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[Rating]:
        found = [r for r in self.ratings.values() if where.matches(r)]
        found.sort(key=lambda r: (r.rated_at, *_key(r)))
        return found[:limit]

    async def summary(
        self, group: Group, where: RatingFilter = EVERY
    ) -> builtins.list[RatingSummary]:
        return summarise([r for r in self.ratings.values() if where.matches(r)], group)
