"""Survey answers in SQL: written one by one as callers key them, read back for the reports.

:class:`SurveyRecorder` is a runtime survey sink (``EngineRuntime.survey_sinks``): each answer
is filed urgent, so it is on disk within the writer's interval (50 ms), well before the next
question has been played; a caller who hangs up half-way leaves what they answered.  The same
answer written twice (a retried batch) replaces itself: one row per contact and question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.engine.commands import SurveyStep, SurveyStepKind
from acd.quality.schema import SurveyAnswerRow
from acd.records.writer import BatchWriter, Saver
from foundation.clock import Hold, no_hold
from foundation.sql import SqlStore


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    contact_id: str
    question: str
    position: int
    score: int
    agent_id: str | None
    line: str
    line_code: str
    answered_at: datetime

    @classmethod
    def of(cls, step: SurveyStep) -> SurveyAnswer:
        return cls(
            step.contact_id,
            step.question,
            step.position,
            step.score,
            step.agent_id,
            step.line,
            step.line_code,
            step.at,
        )


@dataclass(frozen=True, slots=True)
class SurveySummary:
    """One question's answers for one line code in a period."""

    line_code: str
    question: str
    answers: int
    mean: float


class SurveyStore(SqlStore):
    """Survey answers in SQLite or PostgreSQL.  Run :func:`acd.quality.migrate.migrate` first."""

    def __init__(self, engine: AsyncEngine, *, hold: Hold = no_hold) -> None:
        super().__init__(engine, hold=hold)
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(SurveyAnswerRow)
        keys = ("contact_id", "question")
        self._upsert = statement.on_conflict_do_update(
            index_elements=[SurveyAnswerRow.contact_id, SurveyAnswerRow.question],
            set_={
                column.name: statement.excluded[column.name]
                for column in SurveyAnswerRow.__table__.columns
                if column.name not in keys
            },
        )

    async def save_many(self, answers: Sequence[SurveyAnswer]) -> None:
        if not answers:
            return
        ordered = sorted(answers, key=lambda a: (a.contact_id, a.question))
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.execute(self._upsert, [_values(a) for a in ordered])

    async def answers(self, contact_id: str) -> list[SurveyAnswer]:
        """One contact's answers in the order asked."""
        with self._hold():
            async with self._engine.connect() as connection:
                rows = await connection.execute(
                    select(SurveyAnswerRow)
                    .where(SurveyAnswerRow.contact_id == contact_id)
                    .order_by(SurveyAnswerRow.position)
                )
                return [_answer(row._mapping) for row in rows]

    async def between(self, start: datetime, end: datetime) -> list[SurveyAnswer]:
        """Every answer keyed in [start, end), oldest first (a report's period)."""
        with self._hold():
            async with self._engine.connect() as connection:
                rows = await connection.execute(
                    select(SurveyAnswerRow)
                    .where(SurveyAnswerRow.answered_at >= start, SurveyAnswerRow.answered_at < end)
                    .order_by(SurveyAnswerRow.answered_at)
                )
                return [_answer(row._mapping) for row in rows]

    async def summary(self, start: datetime, end: datetime) -> list[SurveySummary]:
        """Answers and mean score per line code and question, answered in [start, end)."""
        row = SurveyAnswerRow
        query = (
            select(row.line_code, row.question, func.count(), func.avg(row.score))
            .where(row.answered_at >= start, row.answered_at < end)
            .group_by(row.line_code, row.question)
            .order_by(row.line_code, func.min(row.position))
        )
        with self._hold():
            async with self._engine.connect() as connection:
                found = await connection.execute(query)
                return [SurveySummary(r[0], r[1], int(r[2]), float(r[3])) for r in found]

    async def respondents(self, start: datetime, end: datetime) -> int:
        """Callers who answered at least one question in [start, end)."""
        row = SurveyAnswerRow
        query = select(func.count(func.distinct(row.contact_id))).where(
            row.answered_at >= start, row.answered_at < end
        )
        with self._hold():
            async with self._engine.connect() as connection:
                return int((await connection.execute(query)).scalar_one())


def _values(answer: SurveyAnswer) -> dict[str, Any]:
    return {
        "contact_id": answer.contact_id,
        "question": answer.question,
        "position": answer.position,
        "score": answer.score,
        "agent_id": answer.agent_id,
        "line": answer.line,
        "line_code": answer.line_code,
        "answered_at": answer.answered_at,
    }


def _answer(row: Any) -> SurveyAnswer:
    return SurveyAnswer(
        row["contact_id"],
        row["question"],
        row["position"],
        row["score"],
        row["agent_id"],
        row["line"],
        row["line_code"],
        row["answered_at"],
    )


class SurveyRecorder(BatchWriter[SurveyAnswer]):
    """Files each answer as it is keyed (a survey sink of the runtime).  Call from the event
    loop's thread."""

    def __init__(self, store: Saver[SurveyAnswer], **options: Any) -> None:
        super().__init__(
            store, key=lambda a: f"{a.contact_id}\0{a.question}", what="survey answer", **options
        )

    def __call__(self, step: SurveyStep) -> None:
        if step.kind is SurveyStepKind.ANSWERED:
            self.put(SurveyAnswer.of(step))
