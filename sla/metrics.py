"""Prometheus metrics built from the engine's contact and agent events.

Only events are consumed, never the engine's internals, so the same numbers come out whether
the events are live or replayed.  Counters count contacts once each however many events
repeat a step; every gauge only ever takes back what it gave, so a lost or duplicated event
cannot push a series below zero.

Inbound contacts (callers who dialled in) and callback placements (the engine calling a citizen
back, agent first) are kept apart: a callback attempt has no caller waiting on the line, so it
stays out of the inbound families (offered, answered, waits, talk) that the service level is
worked out from (see sla.service_level), and gets its own ``acd_callback_placement_*``.

Every family is named after Prometheus' conventions (base units, ``_total`` counters,
``_seconds`` histograms); ``*_created`` series are switched off where the registry is made, as
they read like counts but hold timestamps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase

from escalations.rules import Refusal
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    ContactRecord,
    OfferResult,
    Outcome,
    Presence,
)
from sla.contact_progress import (
    RING_ENDS,
    TRANSFER_OUTCOMES,
    TRANSFER_STEPS,
    Progress,
    answer_counted,
    line_labels,
)
from sla.live import AgentTime, LiveCollector, WaitingContacts

# Dense around the 150 s callback offer, so "answered within N s" can be read for the usual
# service-level targets (20, 30, 60 s) and for the callback threshold itself.
WAIT_BUCKETS = (5, 10, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300, 600)
# Talk and wrap-up: from a short answer to a long file.
HANDLING_BUCKETS = (10, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600)
# A caller who hangs up within this many seconds in the queue is a "short abandon" (misdialled,
# changed their mind): counted apart so a service level can leave them out.
DEFAULT_SHORT_ABANDON_S = 5.0

# How an escalation ends, by channel (acd_escalations_total's outcome label).
ESCALATION_OUTCOMES = {
    "phone": ("connected", "not_reached", "caller_hung_up"),
    "email": ("queued", "delivered"),
}

_Family = TypeVar("_Family", bound=MetricWrapperBase)


class EngineMetrics:
    """A :class:`foundation.contact.ContactEventSink` that keeps the engine's Prometheus metrics.

    Each instance has its own registry (a new one unless given), never the process-global
    one, so several engines or tests in one process do not mix their numbers.  ``now`` is the
    engine's clock (for the oldest wait and agent time at scrape); ``short_abandon_s`` the
    short-abandon threshold.
    """

    content_type: str = CONTENT_TYPE_LATEST

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
    ) -> None:
        # Process-wide in prometheus_client, and read when each metric is made: so here, before
        # the first one.  A *_created series is a timestamp that reads like a count.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = registry if registry is not None else CollectorRegistry()
        # Labelled children looked up once (_labelled): prometheus_client validates the
        # labels and takes a lock at every labels() call, some 20 per call.
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.short_abandon_s = short_abandon_s
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
        self.contacts_abandoned_short = Counter(
            "acd_contacts_abandoned_short",
            "Abandoned contacts that hung up within the short-abandon threshold (a subset of "
            "acd_contacts_abandoned_total).",
            line_labels,
            registry=self.registry,
        )
        self.contacts = Counter(
            "acd_contacts",
            "Inbound contacts that ended, by outcome, queued or not (closed, callback_requested, "
            "escalated_phone, unknown line, ...).",
            ("line", "line_code", "outcome"),
            registry=self.registry,
        )
        self.answer_wait = Histogram(
            "acd_answer_wait_seconds",
            "Time answered contacts waited in the queue, observed when answered.",
            line_labels,
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.talk = Histogram(
            "acd_talk_seconds",
            "Time an agent talked with an answered caller (until the call ended or an "
            "escalation point took it over).",
            line_labels,
            buckets=HANDLING_BUCKETS,
            registry=self.registry,
        )
        self.wrap_up = Histogram(
            "acd_wrap_up_seconds",
            "After-call work of agents, by the line of the call it followed.",
            line_labels,
            buckets=HANDLING_BUCKETS,
            registry=self.registry,
        )
        self.callback_placement_wait = Histogram(
            "acd_callback_placement_wait_seconds",
            "Callback placements (the engine calling a citizen back): time from the attempt's "
            "start until the citizen answered or it ended, by outcome.",
            ("line", "line_code", "outcome"),
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.agents_not_available = Gauge(
            "acd_agents_not_available",
            "Logged-in agents set not available, by reason.",
            ("reason",),
            registry=self.registry,
        )
        self.ari_connected = Gauge(
            "acd_ari_connected",
            "1 while the engine's events stream to Asterisk (ARI) is connected, else 0.",
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            "acd_dependency_up",
            "1 while the engine reaches the dependency (ari: the events stream; redis: the "
            "shared state; sql: the records database), 0 during an outage.",
            ("dependency",),
            registry=self.registry,
        )
        self.dependency_outages = Counter(
            "acd_dependency_outages",
            "Outages of a dependency that began, counted once each however long they last.",
            ("dependency",),
            registry=self.registry,
        )
        Info("acd_build", "The running engine's version.", registry=self.registry).info(
            {"version": _version()}
        )
        self.agent_offers = Counter(
            "acd_agent_offers",
            "Rings of an agent for a contact, by how the ring ended.",
            ("line_code", "result"),
            registry=self.registry,
        )
        self.wait = Histogram(
            "acd_wait_seconds",
            "Time queued inbound contacts waited until answered or ended, by outcome.",
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
        # Kept by the enums themselves: each agent event moves an agent between two of them,
        # and an enum's ``.value`` is a Python-level property (3.11).
        self._agent_series = {
            (presence, activity): self.agents.labels(presence.value, activity.value)
            for presence in Presence
            for activity in Activity
        }
        self._progress: dict[str, Progress] = {}
        self._agent_states: dict[str, tuple[Presence, Activity, str | None]] = {}
        self._waiting = WaitingContacts()
        self._agent_time = AgentTime()
        self._live = LiveCollector(self._waiting, self._agent_time, now)
        self.registry.register(self._live)
        # The line of each agent's last answered inbound call, and since when they wrap it up.
        self._last_call: dict[str, tuple[str, str]] = {}
        self._wrap_up_since: dict[str, datetime] = {}

    def declare_lines(self, lines: Iterable[tuple[str, str]]) -> None:
        """Create every per-line series of these (line, line code) pairs at 0: a dashboard
        shows 0 rather than no data, and Prometheus sees the first contact as an increase."""
        for labels in lines:
            for family in (
                self.contacts_offered,
                self.contacts_answered,
                self.contacts_abandoned,
                self.contacts_abandoned_short,
                self.contacts_waiting,
                self.answer_wait,
                self.talk,
                self.wrap_up,
            ):
                family.labels(*labels)
            self._waiting.declare(labels)

    def declare_escalations(self, points: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Create the escalation and refused-transfer series of these points (id, line codes)
        at 0: Prometheus sees a series first scraped at 1 as no increase, so a point's first
        escalation would be missing from every dashboard and rule that uses ``increase``."""
        for point, line_codes in points:
            for line_code in line_codes:
                for channel, outcomes in ESCALATION_OUTCOMES.items():
                    for outcome in outcomes:
                        self.escalations.labels(line_code, point, channel, outcome)
            for reason in Refusal:
                self.transfers_refused.labels(point, reason.value)

    def watch_lines(self, open_lines: Callable[[datetime], Mapping[str, bool]]) -> None:
        """Read at every scrape which lines are open now (``acd_line_open``)."""
        self._live.open_lines = open_lines

    def watch_ari(self, connected: Callable[[], bool]) -> None:
        """Read the ARI connection state at every scrape."""
        self.ari_connected.set_function(lambda: 1.0 if connected() else 0.0)

    def dependency(self, name: str, up: bool, *, began: bool = False) -> None:
        """A dependency's state (see :class:`acd.outages.Outage`); ``began``: an outage
        starts now, counted once."""
        self.dependency_up.labels(name).set(1.0 if up else 0.0)
        if began:
            self.dependency_outages.labels(name).inc()
        else:
            self.dependency_outages.labels(name)  # the series at 0 from the start

    def render(self) -> bytes:
        """The registry in the Prometheus text format; serve it with :attr:`content_type`."""
        return generate_latest(self.registry)

    def contact_event(self, event: ContactEvent) -> None:
        contact = event.contact
        if event.kind is ContactEventKind.REGISTERED:
            # The agent's registration, often after the contact ended: nothing to count, and
            # no progress entry to open that no ENDED would ever close.
            return
        if contact.kind is ContactKind.CALLBACK:
            self._callback_placement(event)
            return
        progress = self._progress.setdefault(contact.id, Progress())
        if event.kind is ContactEventKind.QUEUED:
            self._queued(contact, progress)
        if event.kind in RING_ENDS:
            self._count_rings(contact, progress)
        if event.kind is ContactEventKind.ANSWERED:
            self._answered(contact, progress)
        elif event.kind in TRANSFER_STEPS:
            self._transfer_step(event.kind, contact, progress)
        elif event.kind is ContactEventKind.ENDED:
            self._transfer_step(event.kind, contact, progress)
            self._ended(contact, progress)
            del self._progress[contact.id]

    def transfer_refused(self, point: str, reason: str) -> None:
        """An agent's transfer was refused (outside the point's hours, not allowed, ...)."""
        self._labelled(self.transfers_refused, point, reason).inc()

    def _labelled(self, family: _Family, *labels: str) -> _Family:
        """``family.labels(*labels)``, cached: a labelled series is never removed here."""
        key = (id(family), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*labels)
        return child

    def escalation(self, line_code: str, point: str, channel: str, outcome: str) -> None:
        """An escalation step that no contact event carries (an e-mail queued, delivered)."""
        self._labelled(self.escalations, line_code, point, channel, outcome).inc()

    def agent_event(self, event: AgentEvent) -> None:
        # Our own record of each agent decides what to take back, not previous_*: an agent
        # seen for the first time mid-shift must not decrement a series it was never in.
        reason = event.reason if event.presence is Presence.NOT_AVAILABLE else None
        state = (event.presence, event.activity, reason)
        before = self._agent_states.get(event.agent_id)
        # Unchanged (only the agent's counters moved): taking it out of its series and putting
        # it back would leave every gauge where it is.
        if before != state:
            if before is not None:
                self._agent_series[before[0], before[1]].dec()
                if before[2] is not None:
                    self._labelled(self.agents_not_available, before[2]).dec()
            self._agent_series[event.presence, event.activity].inc()
            if reason is not None:
                self._labelled(self.agents_not_available, reason).inc()
            self._agent_states[event.agent_id] = state
        if event.remote:
            # Another node's change (several nodes): the gauges show the whole pool on every
            # node; the time counters and wrap-ups are the node's that made the change.
            return
        self._agent_time.change(event.agent_id, (event.presence, event.activity), event.at)
        self._wrap_up_step(event)

    def _wrap_up_step(self, event: AgentEvent) -> None:
        """A wrap-up is timed from entering it to leaving it, under the line of the inbound
        call it follows (one after a callback placement is not an inbound call's handling)."""
        since = self._wrap_up_since.pop(event.agent_id, None)
        if event.activity is Activity.WRAP_UP:
            self._wrap_up_since[event.agent_id] = since or event.at
            return
        if since is None:
            return
        labels = self._last_call.pop(event.agent_id, None)
        if labels is not None:
            self._labelled(self.wrap_up, *labels).observe(
                max(0.0, (event.at - since).total_seconds())
            )

    def _callback_placement(self, event: ContactEvent) -> None:
        contact = event.contact
        if contact.agent_id is not None:
            self._last_call.pop(contact.agent_id, None)
        if event.kind in RING_ENDS:
            self._count_rings(contact, self._progress.setdefault(contact.id, Progress()))
        if event.kind is not ContactEventKind.ENDED:
            return
        self._progress.pop(contact.id, None)
        wait = contact.wait_seconds
        if wait is not None:
            outcome = contact.outcome.value if contact.outcome is not None else ""
            self._labelled(self.callback_placement_wait, *line_labels(contact), outcome).observe(
                wait
            )

    def _transfer_step(
        self, kind: ContactEventKind, contact: ContactRecord, progress: Progress
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
        outcome = TRANSFER_OUTCOMES[kind]
        self.escalation(contact.line_code or "", point, "phone", outcome)

    def _queued(self, contact: ContactRecord, progress: Progress) -> None:
        if progress.queued:  # back in the queue after a missed ring: still the same contact
            return
        progress.queued = True
        labels = line_labels(contact)
        self._labelled(self.contacts_offered, *labels).inc()
        self._labelled(self.contacts_waiting, *labels).inc()
        progress.waiting_labels = labels
        self._waiting.add(contact.id, labels, contact.queued_at or contact.arrived_at)

    def _answered(self, contact: ContactRecord, progress: Progress) -> None:
        self._stop_waiting(contact.id, progress)
        if not progress.answered:
            progress.answered = True
            labels = line_labels(contact)
            progress.answer_labels = labels
            self._labelled(self.contacts_answered, *labels).inc()
            if contact.wait_seconds is not None:
                self._labelled(self.answer_wait, *labels).observe(contact.wait_seconds)
            if contact.agent_id is not None:
                self._last_call[contact.agent_id] = labels

    def _ended(self, contact: ContactRecord, progress: Progress) -> None:
        self._stop_waiting(contact.id, progress)
        outcome = contact.outcome.value if contact.outcome is not None else ""
        line, line_code = line_labels(contact)
        self._labelled(self.contacts, line, line_code, outcome).inc()
        if progress.answer_labels is not None and contact.answered_at is not None:
            # The agent's part ends when the escalation point takes the caller over.
            talk_end = contact.transferred_at or contact.ended_at or contact.answered_at
            talk = max(0.0, (talk_end - contact.answered_at).total_seconds())
            self._labelled(self.talk, *progress.answer_labels).observe(talk)
        wait = contact.wait_seconds
        if wait is None:  # never queued: closed, unknown line, hung up in the welcome
            return
        self._labelled(self.wait, line, line_code, outcome).observe(wait)
        if contact.outcome is Outcome.ABANDONED:
            self._labelled(self.contacts_abandoned, line, line_code).inc()
            if wait < self.short_abandon_s:
                self._labelled(self.contacts_abandoned_short, line, line_code).inc()

    def _stop_waiting(self, contact_id: str, progress: Progress) -> None:
        self._waiting.remove(contact_id)
        if progress.waiting_labels is not None:
            self._labelled(self.contacts_waiting, *progress.waiting_labels).dec()
            progress.waiting_labels = None

    def _count_rings(self, contact: ContactRecord, progress: Progress) -> None:
        # Every ring is counted once, when its result is first seen: a ring cut short by the
        # caller hanging up only shows its result in the ENDED snapshot.
        line_code = contact.line_code or ""
        for index, offer in enumerate(contact.offers):
            if offer.result is not None and index not in progress.rings_counted:
                progress.rings_counted.add(index)
                self._labelled(self.agent_offers, line_code, offer.result.value).inc()
        if contact.answered_at is not None and not answer_counted(contact, progress):
            # Answered, but the snapshot has not closed the ring yet: it was the last one.
            index = len(contact.offers) - 1
            if index >= 0 and index not in progress.rings_counted:
                progress.rings_counted.add(index)
                self._labelled(self.agent_offers, line_code, OfferResult.ANSWERED.value).inc()


def _version() -> str:
    try:
        return version("acd-engine")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
