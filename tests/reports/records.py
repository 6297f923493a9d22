"""A hand-made set of records whose figures are worked out by hand in the tests: one morning
on line 1700 (Tuesday 30 March 2027, Brussels summer time, +02:00)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from acd.reports.load import Records
from acd.reports.period import BRUSSELS
from callbacks.model import Callback, CallbackStatus
from escalations.model import EscalationPoint
from escalations.ratings import Channel, Rating, Scores
from foundation.contact import ContactRecord, Outcome, Registration

DAY = datetime(2027, 3, 30, tzinfo=BRUSSELS)


def at(hh: int, mm: int, ss: float = 0) -> datetime:
    return DAY + timedelta(hours=hh, minutes=mm, seconds=ss)


def contact(
    cid: str,
    queued: datetime | None,
    *,
    code: str = "A",
    wait: float | None = None,
    talk: float | None = None,
    hang_up_after: float | None = None,
    outcome: Outcome,
    channel: str | None = None,
    **extra: object,
) -> ContactRecord:
    arrived = queued or extra.pop("arrived")
    assert isinstance(arrived, datetime)
    answered = queued + timedelta(seconds=wait) if queued and wait is not None else None
    if answered is not None and talk is not None:
        ended = answered + timedelta(seconds=talk)
    elif queued is not None and hang_up_after is not None:
        ended = queued + timedelta(seconds=hang_up_after)
    else:
        ended = arrived + timedelta(seconds=1)
    record = ContactRecord(
        id=cid,
        channel_id=channel or f"ch-{cid}",
        line="1700",
        caller_number="+3212345678",
        arrived_at=arrived,
        line_code=code,
        queued_at=queued,
        answered_at=answered,
        ended_at=ended,
        outcome=outcome,
        agent_id="1002" if answered else None,
    )
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def registered(reason: str, when: datetime) -> Registration:
    """The agent's registration (issue 13's wrap-up) with contact reason ``reason``."""
    return Registration("1002", "vraag", reason, ("https://kb.example.org/1",), when)


def contacts() -> list[ContactRecord]:
    # Contact reasons: line code A has Inkomstenbelasting twice (c1, c2) and Kinderbijslag
    # once (c7, a callback's conversation); B has Groeipakket once (c8); c9 is outside.
    return [
        # 09h, line code A: 5 offered, 2 answered (one within 20 s), 2 abandoned (one short).
        contact(
            "c1",
            at(9, 0),
            wait=10,
            talk=300,
            outcome=Outcome.ANSWERED,
            registration=registered("Inkomstenbelasting", at(9, 6)),
        ),
        contact(
            "c2",
            at(9, 10),
            wait=40,
            talk=120,
            outcome=Outcome.ESCALATED_PHONE,
            escalation_point="p1",
            transferred_at=at(9, 12),  # talk ends here: 80 s
            registration=registered("Inkomstenbelasting", at(9, 12)),
        ),
        contact("c3", at(9, 20), hang_up_after=3, outcome=Outcome.ABANDONED),
        contact("c4", at(9, 30), hang_up_after=60, outcome=Outcome.ABANDONED),
        contact("c5", at(9, 40), hang_up_after=120, outcome=Outcome.CALLBACK_REQUESTED),
        contact("c6", None, arrived=at(9, 50), outcome=Outcome.CLOSED),  # never offered
        # A callback placement (the citizen's leg): not an inbound contact.
        contact(
            "c7",
            at(9, 55),
            wait=5,
            talk=60,
            outcome=Outcome.ANSWERED,
            channel="cz-1-c7",
            registration=registered("Kinderbijslag", at(9, 57)),
        ),
        # 10h, line code B: answered at exactly 20 s (within), its question mailed to p2.
        contact(
            "c8",
            at(10, 15),
            code="B",
            wait=20,
            talk=60,
            outcome=Outcome.ESCALATED_EMAIL,
            emailed_to="p2",
            registration=registered("Groeipakket", at(10, 17)),
        ),
        # Outside 09:00-11:00.
        contact(
            "c9",
            at(8, 59),
            wait=1,
            talk=10,
            outcome=Outcome.ANSWERED,
            registration=registered("Inkomstenbelasting", at(9, 0)),
        ),
        contact("c10", at(11, 0), wait=1, talk=10, outcome=Outcome.ANSWERED),
    ]


def callback(cid: str, requested: datetime, closed: datetime | None) -> Callback:
    return Callback(
        id=cid,
        number="+3212345678",
        line="1700",
        line_code="A",
        contact_id=None,
        requested_at=requested,
        due_by=requested + timedelta(days=1),
        status=CallbackStatus.COMPLETED if closed else CallbackStatus.PENDING,
        closed_at=closed,
    )


def callbacks() -> list[Callback]:
    return [
        callback("cb1", at(9, 41), at(14, 0)),  # in time
        callback("cb2", at(9, 45), at(9, 45) + timedelta(days=2)),  # late
        callback("cb3", at(9, 50), None),  # still pending
    ]


def rating(cid: str, point: str, rater: str, scores: tuple[int, int, int]) -> Rating:
    return Rating(
        contact_id=cid,
        point_id=point,
        rater=rater,
        scores=Scores(*scores),
        comment=None,
        agent_id="1002",
        line_code="A",
        channel=Channel.PHONE,
        rated_at=at(15, 0),
    )


def points() -> list[EscalationPoint]:
    return [
        EscalationPoint(
            id="p1",
            editorial_title="Belastingen",
            email="belastingen@example.org",
            reporting_organisation="FOD Financiën",
            reporting_theme="Fiscaliteit",
        ),
        EscalationPoint(
            id="p2",
            editorial_title="Kinderbijslag",
            email="kinderbijslag@example.org",
            reporting_organisation="FOD Financiën",
            reporting_theme="Fiscaliteit",
        ),
    ]


def records() -> Records:
    return Records(
        contacts=contacts(),
        callbacks=callbacks(),
        ratings=[
            rating("c2", "p1", "an", (4, 3, 5)),
            rating("c2", "p1", "bo", (2, 3, 4)),
            rating("c8", "p2", "an", (5, 5, 5)),
            rating("c99", "p1", "an", (1, 1, 1)),  # of a contact outside the period
        ],
        points=points(),
        wrap_ups={"c1": 30.0, "c2": 10.0},
    )


def shifted(given: Records, days: int, tag: str) -> Records:
    """The same records ``days`` later with ids prefixed by ``tag``: tests sharing one
    database stay apart."""
    delta = timedelta(days=days)

    def move(value: object) -> object:
        return value + delta if isinstance(value, datetime) else value

    def moved(item: Any, **ids: str) -> Any:
        changes = {
            f.name: move(getattr(item, f.name))
            for f in dataclasses.fields(item)
            if isinstance(getattr(item, f.name), datetime)
        }
        return dataclasses.replace(item, **changes, **ids)

    return Records(
        contacts=[
            moved(c, id=f"{tag}{c.id}", channel_id=c.channel_id.replace(c.id, f"{tag}{c.id}"))
            for c in given.contacts
        ],
        callbacks=[moved(c, id=f"{tag}{c.id}") for c in given.callbacks],
        ratings=[moved(r, contact_id=f"{tag}{r.contact_id}") for r in given.ratings],
        points=given.points,
        wrap_ups={f"{tag}{cid}": s for cid, s in given.wrap_ups.items()},
    )
