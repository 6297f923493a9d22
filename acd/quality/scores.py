"""Quality scores of call recordings, given in listening sessions: per recording and scorer a
score on each configured criterion (``quality.criteria``, 1 to ``scale_max``) and an optional
comment.  Scoring a recording again replaces that scorer's earlier verdict.

:func:`score_problems` is the pure check of a submitted score; :class:`ScoreStore` the SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.quality.schema import RecordingScoreRow
from foundation.clock import Hold, no_hold
from foundation.sql import SqlStore


@dataclass(frozen=True, slots=True)
class RecordingScore:
    recording: str
    scorer: str  # the user (or token) who scored
    scored_at: datetime
    agent_id: str | None
    line: str
    line_code: str
    scores: Mapping[str, int] = field(default_factory=dict)  # criterion id -> score
    comment: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "recording": self.recording,
            "scorer": self.scorer,
            "scored_at": self.scored_at.isoformat(),
            "scores": dict(self.scores),
            "comment": self.comment,
        }


def score_problems(
    scores: Mapping[str, int], criteria: Sequence[str], scale_max: int
) -> list[tuple[str, str]]:
    """(criterion, reason) for each mistake: every criterion scored, none unknown, each score
    within 1..scale_max.  Criteria in configured order, then the unknown ones."""
    problems = []
    for criterion in criteria:
        if criterion not in scores:
            problems.append((criterion, "required"))
        elif not 1 <= scores[criterion] <= scale_max:
            problems.append((criterion, f"must be from 1 to {scale_max}"))
    problems += [(name, "is not a criterion") for name in scores if name not in criteria]
    return problems


_FIELDS = ("recording", "scorer", "scored_at", "agent_id", "line", "line_code", "scores", "comment")


class ScoreStore(SqlStore):
    """Recording scores in SQLite or PostgreSQL (run :func:`acd.quality.migrate.migrate`)."""

    def __init__(self, engine: AsyncEngine, *, hold: Hold = no_hold) -> None:
        super().__init__(engine, hold=hold)
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(RecordingScoreRow)
        self._upsert = statement.on_conflict_do_update(
            index_elements=[RecordingScoreRow.recording, RecordingScoreRow.scorer],
            set_={name: statement.excluded[name] for name in _FIELDS[2:]},
        )

    async def save(self, score: RecordingScore) -> None:
        row = {name: getattr(score, name) for name in _FIELDS}
        row["scores"] = dict(score.scores)
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.execute(self._upsert, [row])

    async def of_recording(self, recording: str) -> list[RecordingScore]:
        """The recording's scores, oldest first."""
        query = (
            select(RecordingScoreRow)
            .where(RecordingScoreRow.recording == recording)
            .order_by(RecordingScoreRow.scored_at, RecordingScoreRow.scorer)
        )
        return await self._select(query)

    async def counts(self, recordings: Iterable[str]) -> dict[str, int]:
        """How many scorers scored each of ``recordings`` (those without scores left out)."""
        names = list(recordings)
        if not names:
            return {}
        query = (
            select(RecordingScoreRow.recording, func.count())
            .where(RecordingScoreRow.recording.in_(names))
            .group_by(RecordingScoreRow.recording)
        )
        with self._hold():
            async with self._engine.connect() as connection:
                return {name: int(n) for name, n in await connection.execute(query)}

    async def between(self, start: datetime, end: datetime) -> list[RecordingScore]:
        """Scores given in [start, end), oldest first: what a report's period holds."""
        query = (
            select(RecordingScoreRow)
            .where(RecordingScoreRow.scored_at >= start, RecordingScoreRow.scored_at < end)
            .order_by(RecordingScoreRow.scored_at, RecordingScoreRow.recording)
        )
        return await self._select(query)

    async def _select(self, query: Any) -> list[RecordingScore]:
        with self._hold():
            async with self._engine.connect() as connection:
                rows = [row._mapping for row in await connection.execute(query)]
        return [
            RecordingScore(
                **{name: row[name] for name in _FIELDS if name != "scores"},
                scores={str(k): int(v) for k, v in dict(row["scores"]).items()},
            )
            for row in rows
        ]
