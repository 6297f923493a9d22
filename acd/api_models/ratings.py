"""The models of the escalation ratings (:mod:`acd.escalation_rating_routes`)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, BeforeValidator, Field

from escalations.ratings.model import (
    MAX_COMMENT_LENGTH,
    MAX_RATER_LENGTH,
    MAX_SCORE,
    MIN_SCORE,
    InvalidRating,
    parse_comment,
    parse_rater,
)
from foundation.json_body import BodyModel


def _rater(value: object) -> str:
    try:
        return parse_rater(value)
    except InvalidRating as exc:
        raise ValueError(exc.reason) from None


def _comment(value: object) -> str | None:
    try:
        return parse_comment(value)
    except InvalidRating as exc:
        raise ValueError(exc.reason) from None


def _score(value: object) -> int:
    # bool is an int in Python; true is not a score.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"required: a whole number from {MIN_SCORE} to {MAX_SCORE}")
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise ValueError(f"{value} is not from {MIN_SCORE} to {MAX_SCORE}")
    return value


Score = Annotated[int, BeforeValidator(_score), Field(ge=MIN_SCORE, le=MAX_SCORE)]


class RatingBody(BodyModel):
    error_id: ClassVar[str] = "invalid_rating"

    point_id: str = Field(min_length=1, description="the point that rates (received it)")
    rater: Annotated[str, BeforeValidator(_rater), Field(max_length=MAX_RATER_LENGTH)]
    clarity: Score
    completeness: Score
    correctness: Score
    comment: Annotated[
        Annotated[str, Field(max_length=MAX_COMMENT_LENGTH)] | None, BeforeValidator(_comment)
    ] = None


class RatingOut(BaseModel):
    contact_id: str
    point_id: str
    rater: str
    clarity: int
    completeness: int
    correctness: int
    comment: str | None
    agent_id: str
    line_code: str
    channel: str
    rated_at: str
    created: bool | None = None  # in the answer to a POST


class RatingList(BaseModel):
    ratings: list[RatingOut]


class RatingSummaryOut(BaseModel):
    key: str
    count: int
    averages: dict[str, float]


class RatingSummaries(BaseModel):
    by: str
    summaries: list[RatingSummaryOut]


class RatingQuery(BaseModel):
    point: str | None = None
    agent: str | None = None
    from_: str | None = Field(None, alias="from", description="ISO time; Europe/Brussels if naive")
    to: str | None = None


class RatingSummaryQuery(RatingQuery):
    by: str | None = Field(None, pattern="^(point|agent)$")
