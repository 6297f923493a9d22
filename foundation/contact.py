"""Contacts and agents as the rest of the system sees them: the events the engine emits.

The engine core keeps one :class:`ContactRecord` per contact and emits a :class:`ContactEvent`
with a snapshot of it at every step; the SQL recorder and the metrics are built only from these
events (they never poll the engine).  Agent presence and activity changes are emitted as
:class:`AgentEvent`, each with the agent's durable :class:`AgentRecord`, which is what an engine
restart restores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol


class ContactKind(StrEnum):
    INBOUND = "inbound"  # a caller who dialled in
    CALLBACK = "callback"  # the engine placing a stored callback, agent first


class Outcome(StrEnum):
    """How a contact ended.  ``None`` on the record while it is still in progress."""

    ANSWERED = "answered"  # an agent answered and talked to the caller
    ABANDONED = "abandoned"  # the caller hung up before an agent answered
    CLOSED = "closed"  # the line was closed
    UNKNOWN_LINE = "unknown_line"  # no line matched the Stasis args or dialled number
    NO_AGENTS = "no_agents"  # nobody could answer; the line's rule says: message, hang up
    CALLBACK_REQUESTED = "callback_requested"  # the caller accepted a callback and hung up
    CALLBACK_NOT_REACHED = "callback_not_reached"  # a callback attempt did not reach the citizen
    FAILED = "failed"  # the engine could not handle it (ARI refused, channel vanished)
    ESCALATED_PHONE = "escalated_phone"  # transferred to an escalation point (closed mode)
    ESCALATED_EMAIL = "escalated_email"  # answered; the question went to a point by e-mail


class OfferResult(StrEnum):
    """What became of ringing one agent for a contact."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"  # ring timeout
    BUSY = "busy"  # SIP 486 / cause 17
    REJECTED = "rejected"  # the agent declined (SIP 603 / cause 21)
    UNREACHABLE = "unreachable"  # no response, cannot be dialled, or other failure
    CANCELLED = "cancelled"  # the caller hung up while the agent rang


class Presence(StrEnum):
    """What the agent chose (mod_callcenter's *status*)."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    NOT_AVAILABLE = "not_available"


class Activity(StrEnum):
    """What the agent is doing (mod_callcenter's *state*)."""

    IDLE = "idle"
    RESERVED = "reserved"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


# Occupancy's two sides, as the metrics count them (``sla.sources``: the agent-seconds of
# ``acd_agent_state_seconds_total``) and the reports and the agent's figures alike.
_HANDLING = frozenset({Activity.ON_CALL, Activity.WRAP_UP})


def handling(presence: Presence, activity: Activity) -> bool:
    """On a call or in its after-call work, logged in (whatever the presence)."""
    return presence is not Presence.LOGGED_OUT and activity in _HANDLING


def staffed(presence: Presence, activity: Activity) -> bool:
    """Logged in and not on a break: available (waiting, ringing or handling), or not
    available but still busy with a contact (a call goes on whatever the presence becomes)."""
    if presence is Presence.AVAILABLE:
        return True
    return presence is Presence.NOT_AVAILABLE and activity is not Activity.IDLE


@dataclass(slots=True)
class Offer:
    agent_id: str
    offered_at: datetime
    result: OfferResult | None = None
    ended_at: datetime | None = None
    cause: int | None = None  # the ARI hang-up cause, when the leg failed

    def copy(self) -> Offer:
        """An independent copy (see :meth:`ContactRecord.snapshot`)."""
        copy = object.__new__(Offer)
        copy.agent_id = self.agent_id
        copy.offered_at = self.offered_at
        copy.result = self.result
        copy.ended_at = self.ended_at
        copy.cause = self.cause
        return copy


@dataclass(frozen=True, slots=True)
class Registration:
    """The agent's registration of a contact (the seed's wrap-up): the question as a note, a
    contact reason of the line code, the scripts or knowledge articles used (links)."""

    agent_id: str
    note: str
    reason: str
    links: tuple[str, ...]
    at: datetime


@dataclass(slots=True)
class ContactRecord:
    id: str
    channel_id: str
    line: str | None
    caller_number: str
    arrived_at: datetime
    line_code: str | None = None
    queued_at: datetime | None = None
    offered_at: datetime | None = None  # first offer to an agent
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome | None = None
    agent_id: str | None = None  # the agent who answered
    offers: list[Offer] = field(default_factory=list)
    escalation_point: str | None = None  # the escalation point it was transferred to
    transferred_at: datetime | None = None  # when the escalation point answered
    emailed_to: str | None = None  # the escalation point the agent's question was mailed to
    kind: ContactKind = ContactKind.INBOUND
    registration: Registration | None = None  # the agent closed the contact with these
    # What a restarted engine needs to take the call up where it was (acd.engine.recovery):
    survey_started_at: datetime | None = None  # the caller left the agent for the survey
    survey_question: int | None = None  # the survey's question reached (0-based; = answered
    # or left unanswered before it); the number of questions once only the thanks remain
    recording_started_at: datetime | None = None  # the bridge's recording ``rec-<id>`` began

    def snapshot(self) -> ContactRecord:
        """A deep copy, safe to hand to consumers that keep it.

        Every contact event takes one, so it is written out field by field: a tenth of what
        ``dataclasses.replace`` costs (issue 10).  The other fields are immutable values;
        tests/test_contact_record.py fails when a field is left out here."""
        copy = object.__new__(ContactRecord)
        copy.id = self.id
        copy.channel_id = self.channel_id
        copy.line = self.line
        copy.caller_number = self.caller_number
        copy.arrived_at = self.arrived_at
        copy.line_code = self.line_code
        copy.queued_at = self.queued_at
        copy.offered_at = self.offered_at
        copy.answered_at = self.answered_at
        copy.ended_at = self.ended_at
        copy.outcome = self.outcome
        copy.agent_id = self.agent_id
        copy.escalation_point = self.escalation_point
        copy.transferred_at = self.transferred_at
        copy.emailed_to = self.emailed_to
        copy.kind = self.kind
        copy.registration = self.registration
        copy.survey_started_at = self.survey_started_at
        copy.survey_question = self.survey_question
        copy.recording_started_at = self.recording_started_at
        copy.offers = [offer.copy() for offer in self.offers]
        return copy

    @property
    def wait_seconds(self) -> float | None:
        """Time in queue until answered or ended; None if never queued or still waiting."""
        if self.queued_at is None:
            return None
        end = self.answered_at or self.ended_at
        return None if end is None else (end - self.queued_at).total_seconds()


class ContactEventKind(StrEnum):
    ARRIVED = "arrived"
    QUEUED = "queued"
    OFFERED = "offered"  # an agent is being rung (the last entry of ``offers``)
    OFFER_ENDED = "offer_ended"  # that ring ended without a connection (result on the offer)
    ANSWERED = "answered"
    ENDED = "ended"
    CALLBACK_OFFERED = "callback_offered"  # the caller hears the callback offer
    CALLBACK_REQUESTED = "callback_requested"  # the callback is stored: the caller is promised
    TRANSFER_STARTED = "transfer_started"  # the agent asked for a phone transfer: it rings
    TRANSFER_FAILED = "transfer_failed"  # the escalation point did not answer: caller is back
    ESCALATED = "escalated"  # the escalation point answered: caller bridged with it
    EMAIL_ESCALATED = "email_escalated"  # the question was mailed to a point (emailed_to)
    REGISTERED = "registered"  # the agent registered (closed) it: ``registration`` is set
    SURVEY_STARTED = "survey_started"  # the caller left the agent for the survey
    SURVEY_QUESTION = "survey_question"  # the survey moved on to ``survey_question``
    RECORDING_STARTED = "recording_started"  # the bridge is recorded (``recording_started_at``)


@dataclass(frozen=True, slots=True)
class ContactEvent:
    kind: ContactEventKind
    at: datetime
    contact: ContactRecord  # a snapshot taken when the event was emitted


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """What of an agent outlives the engine: stored at every change, restored at start.

    Activity is left out on purpose: a restarted engine finds its agents idle (a wrap-up a
    crash cut short is over) or, if their call survived in Asterisk, on that call.
    """

    agent_id: str
    presence: Presence
    reason: str | None  # the not-available reason, else None
    presence_since: datetime | None  # when presence or reason last changed; None: never in
    idle_since: datetime | None  # the longest-idle order
    # The day counters the routing policies rank by, of ``stats_day`` (Europe/Brussels).
    stats_day: date | None
    contacts_today: int
    talk_time_today_s: float
    missed_in_a_row: int
    at: datetime  # when this snapshot was taken
    # The agent's own figures of ``stats_day`` (records migration 0009), so a restart does not
    # count the day anew: seconds per presence ("available", "not_available:lunch") up to
    # ``presence_since``, after-call work, and the occupancy's staffed and handling seconds
    # (:func:`staffed`, :func:`handling`) up to ``state_since``, when the agent's presence
    # or activity last changed (``state_activity``: the activity then; it is not restored).
    presence_seconds_today: Mapping[str, float] = field(default_factory=dict)
    wrap_up_today_s: float = 0.0
    staffed_today_s: float = 0.0
    handling_today_s: float = 0.0
    state_since: datetime | None = None
    state_activity: Activity = Activity.IDLE


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """An agent's presence or activity changed, or only their durable counters did (talk
    time added after the call ended: then presence and activity equal ``previous_*``)."""

    agent_id: str
    at: datetime
    presence: Presence
    activity: Activity
    reason: str | None  # the not-available reason, else None
    previous_presence: Presence | None
    previous_activity: Activity | None
    record: AgentRecord  # the agent after the change, for the durable store
    # Made by another engine node (the shared agent pool, acd.state.pool), which stores it;
    # this node's replica of the agent followed.
    remote: bool = False


class ContactEventSink(Protocol):
    """Anything that consumes engine events.  Must not block: queue I/O for later."""

    def contact_event(self, event: ContactEvent) -> None: ...

    def agent_event(self, event: AgentEvent) -> None: ...
