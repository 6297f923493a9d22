"""The SQL tables for escalation points, as typed declarative models.

A point is kept whole as one JSON document (:mod:`escalations.codec`): its slots, deviating
dates and scheduled changes are read and written together, never queried one by one.  The
columns beside it are for people reading the database and for the one lookup that needs an
index, the points of a line code.  The Alembic migrations in ``escalations/migrations`` are
the authority; ``tests/escalations/test_sql.py`` compares them with these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from foundation.sql import UtcDateTime, named_metadata


class Base(DeclarativeBase):
    metadata = named_metadata()


class PointRow(Base):
    __tablename__ = "escalation_points"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    editorial_title: Mapped[str] = mapped_column(Text)
    phone_e164: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class PointLineCodeRow(Base):
    __tablename__ = "escalation_point_line_codes"

    point_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("escalation_points.id", ondelete="CASCADE"), primary_key=True
    )
    line_code: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)


class RatingRow(Base):
    """One rater's rating of one escalation (:mod:`escalations.ratings`).  No foreign key to
    the points: a rating outlives the point it was given to, for the reports."""

    __tablename__ = "escalation_ratings"

    contact_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    point_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    rater: Mapped[str] = mapped_column(String(128), primary_key=True)
    clarity: Mapped[int] = mapped_column(SmallInteger)
    completeness: Mapped[int] = mapped_column(SmallInteger)
    correctness: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[str] = mapped_column(String(128), index=True)
    line_code: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(8))  # phone or email
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
