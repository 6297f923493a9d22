"""Prometheus gauges of the escalation ratings, per point: how many, and each criterion's
average.  Gauges set from the store's summary (not counters bumped per request), so a rating
replaced by its rater moves the average instead of counting twice, and the numbers are right
again after a restart.  Per agent there is no label on purpose: agents come and go, and a
series per agent and point would grow without bound; the per-agent report is the API's and
``acd escalation ratings``'.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Gauge

from escalations.ratings.model import Criterion, RatingSummary


class RatingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.ratings = Gauge(
            "acd_escalation_ratings",
            "Ratings of escalations given by the escalation point (one per escalation per rater).",
            ("point",),
            registry=registry,
        )
        self.average = Gauge(
            "acd_escalation_rating_average",
            "Average score (1-5) of the point's ratings, by criterion (clarity, completeness, "
            "correctness).",
            ("point", "criterion"),
            registry=registry,
        )

    def set(self, summaries: Iterable[RatingSummary]) -> None:
        """Each point's count and averages, from :meth:`RatingStore.summary` by point."""
        for summary in summaries:
            self.ratings.labels(summary.key).set(summary.count)
            for criterion in Criterion:
                self.average.labels(summary.key, criterion.value).set(summary.averages[criterion])
