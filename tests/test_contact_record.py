"""ContactRecord.snapshot: the copy every contact event carries to sinks that keep it."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from foundation.contact import (
    ContactKind,
    ContactRecord,
    Offer,
    OfferResult,
    Outcome,
    Registration,
)

T0 = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)


def _every_field_set() -> ContactRecord:
    """A record in which no field holds its default, so a field the copy leaves out shows."""
    at = [T0 + timedelta(seconds=s) for s in range(10)]
    return ContactRecord(
        id="c1",
        channel_id="ch1",
        line="1700",
        caller_number="+3250000000",
        arrived_at=at[0],
        line_code="1700 Andere Vragen",
        queued_at=at[1],
        offered_at=at[2],
        answered_at=at[3],
        ended_at=at[4],
        outcome=Outcome.ANSWERED,
        agent_id="a2",
        offers=[
            Offer("a1", at[2], OfferResult.NO_ANSWER, at[3], 19),
            Offer("a2", at[3], OfferResult.ANSWERED, at[4], 16),
        ],
        escalation_point="ep1",
        transferred_at=at[5],
        emailed_to="ep2",
        kind=ContactKind.CALLBACK,
        registration=Registration("a2", "note", "reason", ("https://kb/1",), at[6]),
        survey_started_at=at[7],
        survey_question=2,
        recording_started_at=at[8],
    )


@pytest.mark.unit
def test_a_snapshot_holds_every_field_of_the_record():
    record = _every_field_set()
    defaults = ContactRecord("c0", "ch0", None, "", T0 - timedelta(days=1))
    for f in dataclasses.fields(ContactRecord):
        assert getattr(record, f.name) != getattr(defaults, f.name), f.name  # the test's premise

    copy = record.snapshot()

    assert type(copy) is ContactRecord
    for f in dataclasses.fields(ContactRecord):
        assert getattr(copy, f.name) == getattr(record, f.name), f.name
    for offer, original in zip(copy.offers, record.offers, strict=True):
        for f in dataclasses.fields(Offer):
            assert getattr(offer, f.name) == getattr(original, f.name), f.name


@pytest.mark.unit
def test_changing_the_record_after_a_snapshot_leaves_the_snapshot_as_it_was():
    record = _every_field_set()
    copy = record.snapshot()
    before = dataclasses.astuple(copy)

    record.outcome = Outcome.ABANDONED
    record.ended_at = T0 + timedelta(hours=1)
    record.offers[0].result = OfferResult.REJECTED
    record.offers[1].ended_at = None
    record.offers.append(Offer("a3", T0))

    assert dataclasses.astuple(copy) == before
    assert [o.agent_id for o in copy.offers] == ["a1", "a2"]
    assert copy.offers[0].result is OfferResult.NO_ANSWER
