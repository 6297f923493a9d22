"""The SQL tables for escalation points, as typed declarative models.

A point is kept whole as one JSON document (:mod:`escalations.codec`): its slots, deviating
dates and scheduled changes are read and written together, never queried one by one.  The
columns beside it are for people reading the database and for the one lookup that needs an
index, the points of a line code.  The Alembic migrations in ``escalations/migrations`` are
the authority; ``tests/escalations/test_sql.py`` compares them with these models.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from foundation.sql import named_metadata


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
