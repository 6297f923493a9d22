"""Prometheus metrics built from the engine's contact and agent events.

Only events are consumed, never the engine's internals, so the same numbers come out whether
the events are live or replayed.  Counters count contacts once each however many events
repeat a step; every gauge only ever takes back what it gave, so a lost or duplicated event
cannot push a series below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactRecord,
    OfferResult,
    Outcome,
    Presence,
)

# Dense around the 150 s callback offer, so "answered within N s" can be read for the usual
# service-level targets (20, 30, 60 s) and for the callback threshold itself.
WAIT_BUCKETS = (5, 10, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300, 600)

_RING_ENDS = frozenset(
    {ContactEventKind.OFFER_ENDED, ContactEventKind.ANSWERED, ContactEventKind.ENDED}
)


@dataclass(slots=True)
class _Progress:
    """What has been counted of one contact that has not ended yet."""

    queued: bool = False
    answered: bool = False
    waiting_labels: tuple[str, str] | None = None  # the series it was added to while waiting
    transfer_to: str | None = None  # the escalation point being dialled for it, if any
    rings_counted: set[int] = field(default_factory=set)  # indexes into the contact's offers


class EngineMetrics:
    """A :class:`foundation.contact.ContactEventSink` that keeps the engine's Prometheus metrics.

    Each instance has its own registry (a new one unless given), never the process-global
    one, so several engines or tests in one process do not mix their numbers.
    """

    content_type: str = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        line_labels = ("line", "line_code")
        self.contacts_offered = Counter(
            "acd_contacts_offered",
            "Contacts that entered a queue.",
            line_labels,
            registry=self.registry,
        )
        self.contacts_answered = Counter(
            "acd_contacts_answered",
            "Queued contacts answered by an agent.",
            line_labels,
            registry=self.registry,
        )
        self.contacts_abandoned = Counter(
            "acd_contacts_abandoned",
            "Queued contacts whose caller hung up before an agent answered.",
            line_labels,
            registry=self.registry,
        )
        self.contacts = Counter(
            "acd_contacts",
            "Contacts that ended, by outcome, queued or not (closed, unknown line, ...).",
            ("line", "outcome"),
            registry=self.registry,
        )
        self.agent_offers = Counter(
            "acd_agent_offers",
            "Rings of an agent for a contact, by how the ring ended.",
            ("line_code", "result"),
            registry=self.registry,
        )
        self.wait = Histogram(
            "acd_wait_seconds",
            "Time queued contacts waited until answered or ended.",
            ("line", "line_code", "outcome"),
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.agents = Gauge(
            "acd_agents",
            "Agents by presence and activity.",
            ("presence", "activity"),
            registry=self.registry,
        )
        self.contacts_waiting = Gauge(
            "acd_contacts_waiting",
            "Contacts queued and not yet answered or ended.",
            line_labels,
            registry=self.registry,
        )
        self.escalations = Counter(
            "acd_escalations",
            "Escalations to an escalation point, by channel (phone, email) and outcome "
            "(phone: connected, not_reached, caller_hung_up; email: queued, delivered).",
            ("line_code", "point", "channel", "outcome"),
            registry=self.registry,
        )
        self.transfers_refused = Counter(
            "acd_transfers_refused",
            "Transfers an agent asked for and was refused, by reason (transfer_not_allowed, "
            "no_phone_number, outside_reachability, deviating_availability).",
            ("point", "reason"),
            registry=self.registry,
        )
        # Every combination exists from the start, so dashboards show 0 rather than no data.
        for presence in Presence:
            for activity in Activity:
                self.agents.labels(presence.value, activity.value)
        self._progress: dict[str, _Progress] = {}
        self._agent_states: dict[str, tuple[Presence, Activity]] = {}

    def render(self) -> bytes:
        """The registry in the Prometheus text format; serve it with :attr:`content_type`."""
        return generate_latest(self.registry)

    def contact_event(self, event: ContactEvent) -> None:
        contact = event.contact
        progress = self._progress.setdefault(contact.id, _Progress())
        if event.kind is ContactEventKind.QUEUED:
            self._queued(contact, progress)
        if event.kind in _RING_ENDS:
            self._count_rings(contact, progress)
        if event.kind is ContactEventKind.ANSWERED:
            self._answered(contact, progress)
        elif event.kind in _TRANSFER_STEPS:
            self._transfer_step(event.kind, contact, progress)
        elif event.kind is ContactEventKind.ENDED:
            self._transfer_step(event.kind, contact, progress)
            self._ended(contact, progress)
            del self._progress[contact.id]

    def transfer_refused(self, point: str, reason: str) -> None:
        """An agent's transfer was refused (outside the point's hours, not allowed, ...)."""
        self.transfers_refused.labels(point, reason).inc()

    def escalation(self, line_code: str, point: str, channel: str, outcome: str) -> None:
        """An escalation step that no contact event carries (an e-mail queued, delivered)."""
        self.escalations.labels(line_code, point, channel, outcome).inc()

    def agent_event(self, event: AgentEvent) -> None:
        # Our own record of each agent decides what to take back, not previous_*: an agent
        # seen for the first time mid-shift must not decrement a series it was never in.
        before = self._agent_states.get(event.agent_id)
        if before is not None:
            self.agents.labels(before[0].value, before[1].value).dec()
        self.agents.labels(event.presence.value, event.activity.value).inc()
        self._agent_states[event.agent_id] = (event.presence, event.activity)

    def _transfer_step(
        self, kind: ContactEventKind, contact: ContactRecord, progress: _Progress
    ) -> None:
        """A phone transfer counts once, when it ends: connected, not reached, or cut short by
        the caller hanging up while the point rang."""
        if kind is ContactEventKind.TRANSFER_STARTED:
            progress.transfer_to = contact.escalation_point
            return
        point = progress.transfer_to
        if point is None:
            return
        progress.transfer_to = None
        outcome = _TRANSFER_OUTCOMES[kind]
        self.escalation(contact.line_code or "", point, "phone", outcome)

    def _queued(self, contact: ContactRecord, progress: _Progress) -> None:
        if progress.queued:  # back in the queue after a missed ring: still the same contact
            return
        progress.queued = True
        labels = _line_labels(contact)
        self.contacts_offered.labels(*labels).inc()
        self.contacts_waiting.labels(*labels).inc()
        progress.waiting_labels = labels

    def _answered(self, contact: ContactRecord, progress: _Progress) -> None:
        self._stop_waiting(progress)
        if not progress.answered:
            progress.answered = True
            self.contacts_answered.labels(*_line_labels(contact)).inc()

    def _ended(self, contact: ContactRecord, progress: _Progress) -> None:
        self._stop_waiting(progress)
        outcome = contact.outcome.value if contact.outcome is not None else ""
        self.contacts.labels(contact.line or "", outcome).inc()
        wait = contact.wait_seconds
        if wait is None:  # never queued: closed, unknown line, hung up in the welcome
            return
        line, line_code = _line_labels(contact)
        self.wait.labels(line, line_code, outcome).observe(wait)
        if contact.outcome is Outcome.ABANDONED:
            self.contacts_abandoned.labels(line, line_code).inc()

    def _stop_waiting(self, progress: _Progress) -> None:
        if progress.waiting_labels is not None:
            self.contacts_waiting.labels(*progress.waiting_labels).dec()
            progress.waiting_labels = None

    def _count_rings(self, contact: ContactRecord, progress: _Progress) -> None:
        # Every ring is counted once, when its result is first seen: a ring cut short by the
        # caller hanging up only shows its result in the ENDED snapshot.
        line_code = contact.line_code or ""
        for index, offer in enumerate(contact.offers):
            if offer.result is not None and index not in progress.rings_counted:
                progress.rings_counted.add(index)
                self.agent_offers.labels(line_code, offer.result.value).inc()
        if contact.answered_at is not None and not _answer_counted(contact, progress):
            # Answered, but the snapshot has not closed the ring yet: it was the last one.
            index = len(contact.offers) - 1
            if index >= 0 and index not in progress.rings_counted:
                progress.rings_counted.add(index)
                self.agent_offers.labels(line_code, OfferResult.ANSWERED.value).inc()


_TRANSFER_OUTCOMES = {
    ContactEventKind.ESCALATED: "connected",
    ContactEventKind.TRANSFER_FAILED: "not_reached",
    ContactEventKind.ENDED: "caller_hung_up",
}
_TRANSFER_STEPS = frozenset(
    {
        ContactEventKind.TRANSFER_STARTED,
        ContactEventKind.ESCALATED,
        ContactEventKind.TRANSFER_FAILED,
    }
)


def _answer_counted(contact: ContactRecord, progress: _Progress) -> bool:
    return any(
        offer.result is OfferResult.ANSWERED
        for index, offer in enumerate(contact.offers)
        if index in progress.rings_counted
    )


def _line_labels(contact: ContactRecord) -> tuple[str, str]:
    return contact.line or "", contact.line_code or ""
