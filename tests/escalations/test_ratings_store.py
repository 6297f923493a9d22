"""The rating store contract, on the in-memory store, SQLite and PostgreSQL alike.  Points,
agents and contacts are unique per test: the PostgreSQL database is shared by the session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalations.migrate import migrate
from escalations.ratings import (
    Channel,
    Criterion,
    Group,
    MemoryRatingStore,
    Rating,
    RatingFilter,
    RatingStore,
    Scores,
    SqlRatingStore,
)
from foundation.clock import hold_clock

pytestmark = pytest.mark.component

T0 = datetime(2022, 12, 12, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def ratings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RatingStore]:
    if request.param == "memory":
        yield MemoryRatingStore()
        return
    if request.param == "postgresql":
        url: str = request.getfixturevalue("escalations_postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'escalations.db'}"
        await migrate(url, hold=hold_clock)
    async with SqlRatingStore.open(url, hold=hold_clock) as opened:
        yield opened


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rating(point: str, agent: str, scores: tuple[int, int, int], **changes: object) -> Rating:
    values: dict[str, object] = {
        "contact_id": unique("c"),
        "point_id": point,
        "rater": "An Peeters",
        "scores": Scores(*scores),
        "comment": None,
        "agent_id": agent,
        "line_code": "1700 Andere Vragen",
        "channel": Channel.PHONE,
        "rated_at": T0,
        **changes,
    }
    return Rating(**values)  # type: ignore[arg-type]


async def test_a_rating_is_stored_and_read_back_equal(ratings: RatingStore):
    point = unique("p")
    given = rating(point, unique("a"), (4, 3, 5), comment="Vraag was duidelijk.")
    assert await ratings.put(given) is True
    assert await ratings.list(RatingFilter(point_id=point)) == [given]


async def test_the_same_rater_again_replaces_another_rater_adds(ratings: RatingStore):
    point = unique("p")
    first = rating(point, unique("a"), (2, 2, 2))
    again = rating(
        point,
        first.agent_id,
        (5, 4, 5),
        contact_id=first.contact_id,
        comment="Na overleg toch volledig.",
        rated_at=T0 + timedelta(hours=1),
    )
    colleague = rating(point, first.agent_id, (3, 3, 3), contact_id=first.contact_id, rater="Jo")
    await ratings.put(first)
    assert await ratings.put(again) is False
    assert await ratings.put(colleague) is True
    assert await ratings.list(RatingFilter(point_id=point)) == [colleague, again]


async def test_filters_by_point_agent_and_time(ratings: RatingStore):
    point, other_point, agent = unique("p"), unique("p"), unique("a")
    early = rating(point, agent, (1, 1, 1))
    late = rating(point, unique("a"), (5, 5, 5), rated_at=T0 + timedelta(days=1))
    elsewhere = rating(other_point, agent, (3, 3, 3), rated_at=T0 + timedelta(minutes=5))
    for r in (early, late, elsewhere):
        await ratings.put(r)
    assert await ratings.list(RatingFilter(agent_id=agent)) == [early, elsewhere]
    day_two = RatingFilter(point_id=point, since=T0 + timedelta(hours=1))
    assert await ratings.list(day_two) == [late]
    before = RatingFilter(point_id=point, until=T0 + timedelta(days=1))  # `to` is excluded
    assert await ratings.list(before) == [early]


async def test_summaries_count_and_average_per_point_and_per_agent(ratings: RatingStore):
    point_a, point_b, agent_x, agent_y = unique("pa"), unique("pb"), unique("ax"), unique("ay")
    for r in (
        rating(point_a, agent_x, (4, 2, 5)),
        rating(point_a, agent_y, (1, 3, 4)),
        rating(point_b, agent_x, (3, 3, 3)),
    ):
        await ratings.put(r)
    by_point = {s.key: s for s in await ratings.summary(Group.POINT) if s.key in (point_a, point_b)}
    assert by_point[point_a].count == 2
    assert by_point[point_a].averages == {
        Criterion.CLARITY: 2.5,
        Criterion.COMPLETENESS: 2.5,
        Criterion.CORRECTNESS: 4.5,
    }
    assert by_point[point_b].count == 1
    by_agent = await ratings.summary(Group.AGENT, RatingFilter(agent_id=agent_x))
    assert [(s.key, s.count, s.averages[Criterion.CLARITY]) for s in by_agent] == [
        (agent_x, 2, 3.5)
    ]
