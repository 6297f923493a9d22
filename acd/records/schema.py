"""The SQL tables for contact records and agent states, as typed declarative models.

The Alembic migrations are the authority on the live schema; these models must match them
(``tests/records/test_migrate.py`` compares the two).  Times are stored in UTC and always read
back timezone-aware, even on SQLite, which has no timezone-aware column type.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from foundation.contact import Activity, OfferResult, Outcome, Presence
from foundation.sql import UtcDateTime, enum_column, named_metadata


class Base(DeclarativeBase):
    metadata = named_metadata()


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_line_arrived_at", "line", "arrived_at"),
        Index("ix_contacts_engine_ended_at", "engine", "ended_at"),
    )

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
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, 32))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    # Denormalised from the times so reports can aggregate waits without date arithmetic,
    # which SQLite and PostgreSQL spell differently.
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    # The engine (ARI URL and app) whose call this is: after a restart it takes up its own
    # unfinished contacts, never another engine's sharing the database.
    engine: Mapped[str | None] = mapped_column(String(256))
    escalation_point: Mapped[str | None] = mapped_column(String(128))
    transferred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    emailed_to: Mapped[str | None] = mapped_column(String(128))
    # The agent's registration (records migration 0006); links as a JSON list of URLs.
    note: Mapped[str | None] = mapped_column(Text)
    contact_reason: Mapped[str | None] = mapped_column(String(128))
    links: Mapped[str | None] = mapped_column(Text)
    registered_by: Mapped[str | None] = mapped_column(String(128))
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What a restart needs to take up a survey or a recorded call (records migration 0008).
    survey_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    survey_question: Mapped[int | None] = mapped_column(Integer)
    recording_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OfferRow(Base):
    __tablename__ = "contact_offers"

    contact_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # position in the offers list
    agent_id: Mapped[str] = mapped_column(String(128))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    result: Mapped[OfferResult | None] = mapped_column(enum_column(OfferResult, 16))
    cause: Mapped[int | None] = mapped_column(Integer)


class AgentStateRow(Base):
    """One row per agent: the newest :class:`foundation.contact.AgentRecord`, restored at start."""

    __tablename__ = "agent_states"

    agent_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    presence: Mapped[Presence] = mapped_column(enum_column(Presence, 16))
    reason: Mapped[str | None] = mapped_column(String(128))
    presence_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    idle_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stats_day: Mapped[date | None] = mapped_column(Date)  # the counters' day in Brussels
    contacts_today: Mapped[int] = mapped_column(Integer)
    talk_time_today_s: Mapped[float] = mapped_column(Float)
    missed_in_a_row: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the record's ``at``
    # The day's time figures (records migration 0009): seconds per presence as JSON.
    presence_seconds_today: Mapped[str | None] = mapped_column(Text)
    wrap_up_today_s: Mapped[float] = mapped_column(Float, server_default="0")
    staffed_today_s: Mapped[float] = mapped_column(Float, server_default="0")
    handling_today_s: Mapped[float] = mapped_column(Float, server_default="0")
    state_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state_activity: Mapped[Activity | None] = mapped_column(enum_column(Activity, 16))


class AgentDayRow(Base):
    """An agent's figures of one finished day (Brussels): their stored state of that day when
    a record of a later day replaced it (the newest day is in ``agent_states``).  What the
    report's occupancy is made from, with the stretch the agent was in then (``presence`` and
    ``state_activity`` since ``state_since``), which went on until that later record."""

    __tablename__ = "agent_days"

    agent_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    presence: Mapped[Presence] = mapped_column(enum_column(Presence, 16))
    state_activity: Mapped[Activity] = mapped_column(enum_column(Activity, 16))
    state_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    presence_seconds: Mapped[str] = mapped_column(Text)  # JSON: seconds per presence
    contacts: Mapped[int] = mapped_column(Integer)
    talk_time_s: Mapped[float] = mapped_column(Float)
    wrap_up_s: Mapped[float] = mapped_column(Float)
    staffed_s: Mapped[float] = mapped_column(Float)
    handling_s: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WrapUpRow(Base):
    """An agent's after-call work, by the inbound contact it followed (the reports' AHT)."""

    __tablename__ = "contact_wrap_ups"

    contact_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Float)


class ReportRunRow(Base):
    """A report schedule's last period made: the next run starts where it ended."""

    __tablename__ = "report_runs"

    schedule: Mapped[str] = mapped_column(String(128), primary_key=True)
    period_end: Mapped[datetime] = mapped_column(UtcDateTime)
    ran_at: Mapped[datetime] = mapped_column(UtcDateTime)
