"""The SQL tables for contact records, as typed declarative models.

The Alembic migrations are the authority on the live schema; these models must match them
(``tests/records/test_migrate.py`` compares the two).  Times are stored in UTC and always read
back timezone-aware, even on SQLite, which has no timezone-aware column type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum, Float, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from acd.contact import OfferResult, Outcome


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and returned timezone-aware.

    Naive datetimes are refused: their meaning depends on the host's zone, and a report that is
    off by an hour twice a year is worse than an error at the first save.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: contact times must be timezone-aware")
        utc = value.astimezone(UTC)
        # SQLite stores the wall-clock fields as text and would silently drop the offset.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum_column(enum: type[StrEnum], length: int) -> Enum:
    # A plain VARCHAR of the enum's values: adding a value later needs no migration, and
    # PostgreSQL native enums cannot lose a value at all.
    def values(cls: type[StrEnum]) -> list[str]:
        return [member.value for member in cls]

    return Enum(enum, native_enum=False, length=length, values_callable=values)


class Base(DeclarativeBase):
    # Named constraints, so a later migration can drop or alter them by name on every backend.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        }
    )


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_line_arrived_at", "line", "arrived_at"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(128))
    line: Mapped[str | None] = mapped_column(String(64))
    line_code: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str] = mapped_column(String(64))
    arrived_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[Outcome | None] = mapped_column(_enum_column(Outcome, 32))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    # Denormalised from the times so reports can aggregate waits without date arithmetic,
    # which SQLite and PostgreSQL spell differently.
    wait_seconds: Mapped[float | None] = mapped_column(Float)


class OfferRow(Base):
    __tablename__ = "contact_offers"

    contact_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # position in the offers list
    agent_id: Mapped[str] = mapped_column(String(128))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    result: Mapped[OfferResult | None] = mapped_column(_enum_column(OfferResult, 16))
    cause: Mapped[int | None] = mapped_column(Integer)
