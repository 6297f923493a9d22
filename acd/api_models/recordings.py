"""The models of the call recordings and their quality scores: a supervisor's "record this
call", the list and one recording (:mod:`acd.recording_routes`), a listening session's scores
(:mod:`acd.listening_routes`)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from foundation.json_body import BodyModel


class RecordOut(BaseModel):
    """A supervisor's "record this call": recording from now on (or already)."""

    agent_id: str
    recording: str = Field(description='"started"')


class RecordingOut(BaseModel):
    name: str = Field(description="the ARI stored recording's name: rec-<contact id>")
    contact_id: str
    agent_id: str | None
    line: str
    line_code: str
    format: str
    file: str
    started_at: str
    ended_at: str | None
    on_demand: bool
    held: bool | None = None
    deleted_at: str | None = None
    scored: int | None = Field(None, description="in a list: how many scored it")
    scores: list[RecordingScoreOut] | None = Field(None, description="one recording: its scores")


class RecordingList(BaseModel):
    recordings: list[RecordingOut]


class RecordingScoreOut(BaseModel):
    recording: str
    scorer: str = Field(description="the user (or token:<name>) who scored")
    scored_at: str
    scores: dict[str, int] = Field(description="criterion id -> score (1 to quality.scale_max)")
    comment: str | None


class ScoreBody(BodyModel):
    """A listening session's verdict on one recording: every configured criterion
    (``quality.criteria``) scored 1 to ``quality.scale_max``; scoring again replaces it."""

    error_id: ClassVar[str] = "invalid_score"
    scores: dict[Annotated[str, Field(max_length=64)], int] = Field(max_length=32)
    comment: str | None = Field(None, max_length=2000)


class ScoresOut(BaseModel):
    name: str
    scores: list[RecordingScoreOut]


class RecordingsQuery(BaseModel):
    agent: str | None = None
    line_code: str | None = None
    date: str | None = Field(None, description="YYYY-MM-DD, Europe/Brussels; default today")
