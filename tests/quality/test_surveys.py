"""Survey answers in SQL: written one by one, read back per contact and summed for reports;
the migrations match the models."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Connection

from acd.engine.commands import SurveyStep, SurveyStepKind
from acd.quality.metrics import SurveyMetrics
from acd.quality.migrate import VERSION_TABLE, migrate
from acd.quality.schema import Base
from acd.quality.surveys import SurveyAnswer, SurveyRecorder, SurveyStore
from foundation.clock import hold_clock
from tests.sql import applied_versions, run_sync

T0 = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
CODE = "1700 Andere Vragen"


def _step(contact: str, position: int, score: int, question: str) -> SurveyStep:
    return SurveyStep(
        SurveyStepKind.ANSWERED,
        contact,
        "a1",
        "1700",
        CODE,
        T0 + timedelta(seconds=10 * position),
        question=question,
        position=position,
        score=score,
        first=position == 0,
    )


async def test_each_answer_is_stored_as_keyed_and_read_back_in_order(db_url: str) -> None:
    contact = f"ct-{uuid.uuid4().hex[:8]}"
    async with SurveyStore.open(db_url, hold=hold_clock) as store:
        recorder = SurveyRecorder(store)
        await recorder.start()
        recorder(_step(contact, 0, 7, "waiting_time"))
        await recorder.flush()
        assert [a.score for a in await store.answers(contact)] == [7]  # on disk at once
        recorder(_step(contact, 1, 10, "politeness"))
        recorder(_step(contact, 1, 10, "politeness"))  # a retried write replaces itself
        await recorder.stop()
        (first, second) = await store.answers(contact)
        assert second == SurveyAnswer(
            contact, "politeness", 1, 10, "a1", "1700", CODE, T0 + timedelta(seconds=10)
        )
        assert first.question == "waiting_time"


async def test_the_summary_gives_answers_and_mean_per_line_code_and_question(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'summary.db'}"
    await migrate(url, hold=hold_clock)
    async with SurveyStore.open(url, hold=hold_clock) as store:
        await store.save_many(
            [
                SurveyAnswer.of(_step("c1", 0, 8, "waiting_time")),
                SurveyAnswer.of(_step("c1", 1, 10, "politeness")),
                SurveyAnswer.of(_step("c2", 0, 5, "waiting_time")),
            ]
        )
        found = await store.summary(T0, T0 + timedelta(hours=1))
        assert [(s.question, s.answers, s.mean) for s in found] == [
            ("waiting_time", 2, 6.5),
            ("politeness", 1, 10.0),
        ]
        assert await store.respondents(T0, T0 + timedelta(hours=1)) == 2
        assert await store.summary(T0 + timedelta(hours=1), T0 + timedelta(hours=2)) == []


def test_metrics_count_scores_by_question_and_the_response_rate_without_agents() -> None:
    registry = CollectorRegistry()
    metrics = SurveyMetrics(registry)
    started = SurveyStep(SurveyStepKind.STARTED, "c1", "a1", "1700", CODE, T0)
    metrics(started)
    metrics(replace(started, contact_id="c2"))
    metrics(_step("c1", 0, 10, "waiting_time"))
    metrics(_step("c1", 1, 4, "politeness"))
    get = registry.get_sample_value
    assert get("acd_surveys_started_total", {"line_code": CODE}) == 2
    assert get("acd_surveys_responded_total", {"line_code": CODE}) == 1
    labels = {"line_code": CODE, "question": "waiting_time"}
    assert get("acd_survey_score_sum", labels) == 10
    assert get("acd_survey_score_bucket", {**labels, "le": "9.0"}) == 0
    assert get("acd_survey_score_bucket", {**labels, "le": "10.0"}) == 1
    labelled = {key for m in registry.collect() for s in m.samples for key in s.labels}
    assert labelled == {"line_code", "question", "le"}  # no agent label


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return list(compare_metadata(context, Base.metadata))


async def test_the_models_match_the_migrations(db_url: str) -> None:
    assert await run_sync(db_url, _drift) == []
    assert await applied_versions(db_url, VERSION_TABLE) == ["0003"]
