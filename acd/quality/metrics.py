"""Survey metrics: scores by question and line code, and the response rate.

``acd_survey_score`` is a histogram with one bucket per score (1-10), so the mean is
``_sum / _count`` and the distribution of each question reads straight off the buckets.  The
response rate is ``acd_surveys_responded_total / acd_surveys_started_total`` (callers who keyed
at least one score, of those sent to the survey), by line code.  No agent label: agents come
and go, and the per-agent view is the reports' (the answers table has the agent).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from acd.engine.commands import SurveyStep, SurveyStepKind

SCORE_BUCKETS = tuple(float(n) for n in range(1, 11))


class SurveyMetrics:
    """A survey sink of the runtime (``EngineRuntime.survey_sinks``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.started = Counter(
            "acd_surveys_started",
            "Callers sent to the survey after their conversation.",
            ("line_code",),
            registry=registry,
        )
        self.responded = Counter(
            "acd_surveys_responded",
            "Callers in the survey who keyed at least one score.",
            ("line_code",),
            registry=registry,
        )
        self.score = Histogram(
            "acd_survey_score",
            "Scores (1-10) callers keyed, by question.",
            ("line_code", "question"),
            buckets=SCORE_BUCKETS,
            registry=registry,
        )

    def __call__(self, step: SurveyStep) -> None:
        if step.kind is SurveyStepKind.STARTED:
            self.started.labels(step.line_code).inc()
            return
        if step.first:
            self.responded.labels(step.line_code).inc()
        self.score.labels(step.line_code, step.question).observe(step.score)
