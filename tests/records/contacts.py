"""Contact snapshots for the records tests, shaped like the ones the engine emits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from foundation.contact import (
    ContactEvent,
    ContactEventKind,
    ContactRecord,
    Offer,
    OfferResult,
    Outcome,
)

T0 = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    """Tests share one PostgreSQL database per worker: ids and lines must not collide."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def arrived(contact_id: str | None = None, line: str = "1700", at: datetime = T0) -> ContactRecord:
    return ContactRecord(
        id=contact_id or unique("contact"),
        channel_id=unique("chan"),
        line=line,
        caller_number="+3225551234",
        arrived_at=at,
    )


def answered_after_one_no_answer(record: ContactRecord) -> ContactRecord:
    """The same contact, queued 10 s after arriving, rung at agent a1 (no answer), then
    answered by a2, still talking."""
    t = record.arrived_at

    def s(seconds: int) -> datetime:
        return t + timedelta(seconds=seconds)

    return ContactRecord(
        id=record.id,
        channel_id=record.channel_id,
        line=record.line,
        caller_number=record.caller_number,
        arrived_at=t,
        line_code="Wonen en energie",
        queued_at=s(10),
        offered_at=s(40),
        answered_at=s(75),
        agent_id="a2",
        offers=[
            Offer("a1", s(40), OfferResult.NO_ANSWER, s(60)),
            Offer("a2", s(62), OfferResult.ANSWERED, s(75)),
        ],
    )


def ended(record: ContactRecord, outcome: Outcome = Outcome.ANSWERED) -> ContactRecord:
    final = record.snapshot()
    final.ended_at = record.arrived_at + timedelta(minutes=5)
    final.outcome = outcome
    return final


def event(kind: ContactEventKind, record: ContactRecord) -> ContactEvent:
    return ContactEvent(kind=kind, at=record.ended_at or record.arrived_at, contact=record)
