"""A rating of one escalation by the escalation point that received it: clarity, completeness
and correctness (the seed's words), 1 to 5 each, and an optional comment.

An escalation is a contact that ended escalated (by phone or by e-mail) to a point; the point's
side rates it, each rater (a name at the point) once: a rating posted again by the same rater
replaces the first.  The rating carries the contact's agent and line code, so the reports
group by point or by agent without going back to the contact records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

MIN_SCORE = 1
MAX_SCORE = 5
MAX_RATER_LENGTH = 128
MAX_COMMENT_LENGTH = 2000


class Criterion(StrEnum):
    CLARITY = "clarity"
    COMPLETENESS = "completeness"
    CORRECTNESS = "correctness"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class Group(StrEnum):
    """What a summary groups the ratings by."""

    POINT = "point"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class Scores:
    clarity: int
    completeness: int
    correctness: int

    def of(self, criterion: Criterion) -> int:
        value: int = getattr(self, criterion.value)
        return value


@dataclass(frozen=True, slots=True)
class Rating:
    contact_id: str
    point_id: str
    rater: str
    scores: Scores
    comment: str | None
    agent_id: str
    line_code: str
    channel: Channel
    rated_at: datetime  # aware; the last time it was posted


@dataclass(frozen=True, slots=True)
class RatingFilter:
    point_id: str | None = None
    agent_id: str | None = None
    since: datetime | None = None  # rated at or after
    until: datetime | None = None  # rated before

    def matches(self, rating: Rating) -> bool:
        return (
            (self.point_id is None or rating.point_id == self.point_id)
            and (self.agent_id is None or rating.agent_id == self.agent_id)
            and (self.since is None or rating.rated_at >= self.since)
            and (self.until is None or rating.rated_at < self.until)
        )


EVERY = RatingFilter()  # no filter: every rating


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """The ratings of one point or one agent: how many, and each criterion's average."""

    key: str  # the point id or the agent id
    count: int
    averages: Mapping[Criterion, float]


class InvalidRating(ValueError):
    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}")


def parse_scores(body: Mapping[str, Any]) -> Scores:
    """The three scores of a request body; :class:`InvalidRating` naming the first bad one."""
    values = {}
    for criterion in Criterion:
        value = body.get(criterion.value)
        # bool is an int in Python; true is not a score.
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRating(criterion.value, f"required: a whole number {_RANGE}")
        if not MIN_SCORE <= value <= MAX_SCORE:
            raise InvalidRating(criterion.value, f"{value} is not {_RANGE}")
        values[criterion.value] = value
    return Scores(**values)


def parse_rater(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRating("rater", "required: the name of who rates, at the point")
    if len(value) > MAX_RATER_LENGTH:
        raise InvalidRating("rater", f"longer than {MAX_RATER_LENGTH} characters")
    return value.strip()


def parse_comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRating("comment", "must be text")
    if len(value) > MAX_COMMENT_LENGTH:
        raise InvalidRating("comment", f"longer than {MAX_COMMENT_LENGTH} characters")
    return value.strip() or None


def summarise(ratings: list[Rating], group: Group) -> list[RatingSummary]:
    """Counts and averages per point or per agent, by key: the definition the SQL store's
    GROUP BY must agree with."""
    groups: dict[str, list[Rating]] = {}
    for rating in ratings:
        key = rating.point_id if group is Group.POINT else rating.agent_id
        groups.setdefault(key, []).append(rating)
    return [
        RatingSummary(
            key,
            len(found),
            {c: sum(r.scores.of(c) for r in found) / len(found) for c in Criterion},
        )
        for key, found in sorted(groups.items())
    ]


_RANGE = f"from {MIN_SCORE} to {MAX_SCORE}"
