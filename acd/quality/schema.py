"""The quality tables as typed declarative models.  The migrations in
``acd/quality/migrations`` are the authority; ``tests/quality`` compares them with these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, SmallInteger, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from foundation.sql import UtcDateTime, named_metadata


class Base(DeclarativeBase):
    metadata = named_metadata()


class SurveyAnswerRow(Base):
    """One score a caller keyed, by contact and question: what the agent, line and line code
    were is copied in, so the reports group answers without joining the contact records."""

    __tablename__ = "survey_answers"

    contact_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    question: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[int] = mapped_column(SmallInteger)
    agent_id: Mapped[str | None] = mapped_column(String(128))
    line: Mapped[str] = mapped_column(String(128))
    line_code: Mapped[str] = mapped_column(String(256))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RecordingRow(Base):
    """A call recording's metadata: the file is Asterisk's (``name`` + ``format``), deleted
    through ARI after the line's retention unless a supervisor holds it."""

    __tablename__ = "call_recordings"

    name: Mapped[str] = mapped_column(String(160), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(128), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(128))
    line: Mapped[str] = mapped_column(String(128))
    line_code: Mapped[str] = mapped_column(String(256))
    format: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    on_demand: Mapped[bool] = mapped_column(Boolean)
    held: Mapped[bool] = mapped_column(Boolean, server_default=false())  # kept past retention
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the file deleted then


class RecordingScoreRow(Base):
    """One scorer's verdict on one recording in a listening session: a score per criterion
    (``quality.criteria``) and a comment; the recording's agent, line and line code copied in
    so the reports group scores without a join."""

    __tablename__ = "recording_scores"

    recording: Mapped[str] = mapped_column(String(160), primary_key=True)
    scorer: Mapped[str] = mapped_column(String(128), primary_key=True)
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    agent_id: Mapped[str | None] = mapped_column(String(128))
    line: Mapped[str] = mapped_column(String(128))
    line_code: Mapped[str] = mapped_column(String(256))
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
