"""What the metrics have counted of one contact that has not ended yet, and the event kinds
their steps turn on (:mod:`sla.metrics`): a contact is counted once however many of its events
repeat a step."""

from __future__ import annotations

from dataclasses import dataclass, field

from foundation.contact import ContactEventKind, ContactRecord, OfferResult

RING_ENDS = frozenset(
    {ContactEventKind.OFFER_ENDED, ContactEventKind.ANSWERED, ContactEventKind.ENDED}
)


@dataclass(slots=True)
class Progress:
    """What has been counted of one contact that has not ended yet."""

    queued: bool = False
    answered: bool = False
    answer_labels: tuple[str, str] | None = None  # the line labels it was answered under
    waiting_labels: tuple[str, str] | None = None  # the series it was added to while waiting
    transfer_to: str | None = None  # the escalation point being dialled for it, if any
    rings_counted: set[int] = field(default_factory=set)  # indexes into the contact's offers


TRANSFER_OUTCOMES = {
    ContactEventKind.ESCALATED: "connected",
    ContactEventKind.TRANSFER_FAILED: "not_reached",
    ContactEventKind.ENDED: "caller_hung_up",
}
TRANSFER_STEPS = frozenset(
    {
        ContactEventKind.TRANSFER_STARTED,
        ContactEventKind.ESCALATED,
        ContactEventKind.TRANSFER_FAILED,
    }
)


def answer_counted(contact: ContactRecord, progress: Progress) -> bool:
    return any(
        offer.result is OfferResult.ANSWERED
        for index, offer in enumerate(contact.offers)
        if index in progress.rings_counted
    )


def line_labels(contact: ContactRecord) -> tuple[str, str]:
    return contact.line or "", contact.line_code or ""
