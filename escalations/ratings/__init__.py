"""Quality feedback on escalations: the receiving point rates each escalation on clarity,
completeness and correctness (:mod:`escalations.ratings.model`), stored per rater
(:mod:`~escalations.ratings.store`, :mod:`~escalations.ratings.sql_store`; the table migrates
with the escalation points), summarised per point and per agent, and exported as per-point
gauges (:mod:`~escalations.ratings.metrics`).  The HTTP routes are
``acd/escalation_rating_routes.py``; the report is ``acd escalation ratings``.
"""

from escalations.ratings.metrics import RatingMetrics
from escalations.ratings.model import (
    Channel,
    Criterion,
    Group,
    InvalidRating,
    Rating,
    RatingFilter,
    RatingSummary,
    Scores,
    parse_comment,
    parse_rater,
    parse_scores,
    summarise,
)
from escalations.ratings.sql_store import SqlRatingStore
from escalations.ratings.store import MemoryRatingStore, RatingStore

__all__ = [
    "Channel",
    "Criterion",
    "Group",
    "InvalidRating",
    "MemoryRatingStore",
    "Rating",
    "RatingFilter",
    "RatingMetrics",
    "RatingStore",
    "RatingSummary",
    "Scores",
    "SqlRatingStore",
    "parse_comment",
    "parse_rater",
    "parse_scores",
    "summarise",
]
