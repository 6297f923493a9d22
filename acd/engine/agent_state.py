"""One agent's state (:class:`AgentState`) and the moves it may make (the transition tables
and :func:`check_move`).

The agent book (:mod:`acd.engine.agents`) holds one of these per configured agent and makes
every change through :meth:`~acd.engine.agents.AgentBook.move`, which checks it here first;
the offer handling (:mod:`acd.engine.offers`) checks a move before it reserves an agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from acd.engine.model import AgentConfig
from foundation.contact import Activity, AgentRecord, ContactRecord, Presence
from foundation.errors import IllegalTransition
from skills import AgentStats

# Presence is the agent's own choice (or the missed-offer rule's); a call in progress goes on
# whatever it becomes.  A reason goes with NOT_AVAILABLE and may change while in it.
# Logging in straight to not available is what a restart restores for an agent who was; the API
# still asks an agent to log in first (set_presence refuses a logged-out agent).
PRESENCE_MOVES: Mapping[Presence, frozenset[Presence]] = {
    Presence.LOGGED_OUT: frozenset({Presence.AVAILABLE, Presence.NOT_AVAILABLE}),
    Presence.AVAILABLE: frozenset({Presence.NOT_AVAILABLE, Presence.LOGGED_OUT}),
    Presence.NOT_AVAILABLE: frozenset(
        {Presence.AVAILABLE, Presence.NOT_AVAILABLE, Presence.LOGGED_OUT}
    ),
}
# Activity follows the offers: reserved for a contact, its phone ringing, on the call, wrap-up.
# A ring that comes to nothing, or a callback whose citizen is not reached, goes back to idle.
ACTIVITY_MOVES: Mapping[Activity, frozenset[Activity]] = {
    Activity.IDLE: frozenset({Activity.RESERVED}),
    Activity.RESERVED: frozenset({Activity.RINGING, Activity.ON_CALL, Activity.IDLE}),
    Activity.RINGING: frozenset({Activity.ON_CALL, Activity.IDLE}),
    Activity.ON_CALL: frozenset({Activity.WRAP_UP, Activity.IDLE}),
    Activity.WRAP_UP: frozenset({Activity.IDLE}),
}


@dataclass(slots=True)
class Handled:
    """The contact an agent is wrapping up: its live record (ended or not, it is the one the
    contact table ends, so a registration made now reaches the stored record in full)."""

    record: ContactRecord
    since: datetime  # when the wrap-up began
    callback_number: str | None = None
    callback_id: str | None = None
    virtual_hold: bool = False


@dataclass(slots=True)
class AgentState:
    config: AgentConfig
    presence: Presence = Presence.LOGGED_OUT
    reason: str | None = None
    presence_since: datetime | None = None  # when presence or reason last changed
    activity: Activity = Activity.IDLE
    idle_since: datetime | None = None
    contact_id: str | None = None
    # What the routing policies rank by, and the missed-offer bookkeeping.
    stats_day: date | None = None
    contacts_today: int = 0
    talk_time_today_s: float = 0.0
    last_offered_seq: int = 0
    missed_in_a_row: int = 0
    not_before: datetime | None = None  # no offers before this (after a missed offer)
    # The contact in wrap-up, and the contact already registered while talking (its end then
    # skips the wrap-up: the seed's "after closing a contact a new call can come in at once").
    handled: Handled | None = None
    closed_contact_id: str | None = None
    # Today's time per presence ("available", "not_available:lunch", ...) up to presence_since,
    # after-call work, and occupancy's staffed and handling seconds up to state_since (the last
    # change of presence or activity): the agent's own figures and the report's occupancy.
    # Stored with the record and restored at start (AgentBook.restore) if of today.
    presence_seconds_today: dict[str, float] = field(default_factory=dict)
    wrap_up_today_s: float = 0.0
    staffed_today_s: float = 0.0
    handling_today_s: float = 0.0
    state_since: datetime | None = None

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def logged_in(self) -> bool:
        return self.presence is not Presence.LOGGED_OUT

    @property
    def available(self) -> bool:
        return self.presence is Presence.AVAILABLE

    @property
    def offerable(self) -> bool:
        """Available and idle: the router may offer this agent a contact."""
        return self.presence is Presence.AVAILABLE and self.activity is Activity.IDLE

    def routing_stats(self, now: datetime) -> AgentStats:
        return AgentStats(
            idle_since=(self.idle_since or now).timestamp(),
            contacts_today=self.contacts_today,
            talk_time_today_s=self.talk_time_today_s,
            last_offered_seq=self.last_offered_seq,
        )

    def can_take(self, line_code: str) -> bool:
        return self.offerable and line_code in self.config.line_codes

    def record(self, now: datetime) -> AgentRecord:
        """What of this agent is stored, to be restored after a restart."""
        return AgentRecord(
            agent_id=self.id,
            presence=self.presence,
            reason=self.reason,
            presence_since=self.presence_since,
            idle_since=self.idle_since,
            stats_day=self.stats_day,
            contacts_today=self.contacts_today,
            talk_time_today_s=self.talk_time_today_s,
            missed_in_a_row=self.missed_in_a_row,
            at=now,
            # Never changed in place (acd.engine.agent_time replaces it): shared, not copied.
            presence_seconds_today=self.presence_seconds_today,
            wrap_up_today_s=self.wrap_up_today_s,
            staffed_today_s=self.staffed_today_s,
            handling_today_s=self.handling_today_s,
            state_since=self.state_since,
            state_activity=self.activity,
        )


def check_move(agent: AgentState, presence: Presence | None, activity: Activity | None) -> None:
    """Raise :class:`IllegalTransition` unless the tables allow this move (nothing changed)."""
    if presence not in (None, agent.presence, *PRESENCE_MOVES[agent.presence]):
        raise IllegalTransition(f"agent {agent.id}: presence {agent.presence} -> {presence}")
    if activity not in (None, agent.activity, *ACTIVITY_MOVES[agent.activity]):
        raise IllegalTransition(f"agent {agent.id}: activity {agent.activity} -> {activity}")
