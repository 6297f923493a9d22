"""The contact table: every live contact, found by id, by channel and by playback, and its end.

It owns the contacts and their indexes, the router's view of contacts (in or out of the queue),
the phase transition table (every phase change goes through :meth:`ContactTable.to_phase`), the
memory of recently ended channels (late duplicate events) and of callers who dropped out of a
queue (they rejoin at their place), the handling times behind wait estimates, and the teardown
of a contact (:meth:`ContactTable.end`).  Each playback is recorded with the flow that owns it,
so its end reaches that flow and no other.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from acd.engine import commands as cmd
from acd.engine import ivr_glue
from acd.engine.agents import AgentBook
from acd.engine.bridges import BridgePool
from acd.engine.model import EngineConfig, LineConfig
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import ContactEvent, ContactEventKind, ContactRecord, Outcome
from foundation.errors import IllegalTransition
from ivr.announcements import AnnouncementScheduler
from ivr.callback_offer import CallbackOffer
from ivr.menu import Menu
from ivr.survey import Survey
from skills import Router
from sla.wait_estimate import HandleTimes

log = logging.getLogger(__name__)

IdFactory = Callable[[str], str]  # "ag" -> "ag-<unique>": every id starts with its prefix, "-"
_RECENTLY_ENDED = 10_000  # channel ids remembered to ignore late duplicate events


class Phase(StrEnum):
    """Where a contact is in its flow."""

    FAREWELL = "farewell"  # hearing a last message (unknown line, closed, ...), then hung up
    WELCOME = "welcome"  # answered, hearing the line's welcome prompt
    WHISPER = "whisper"  # callback: the agent answered and hears whom they will call
    DIALING = "dialing"  # callback: the citizen's phone rings, the agent waits in the bridge
    MENU = "menu"  # choosing a line code with DTMF
    QUEUED = "queued"  # waiting with music on hold, no agent rung
    RINGING = "ringing"  # an agent leg is ringing; the caller keeps hearing music
    CONNECTED = "connected"  # caller and agent bridged
    TRANSFERRING = "transferring"  # the escalation point rings; the agent waits off the bridge
    ESCALATED = "escalated"  # caller and escalation point bridged; the agent is gone
    SURVEY = "survey"  # the agent is gone; the caller answers the survey
    ENDED = "ended"


# Every phase change a contact may make.  A call arrives in WELCOME, a callback being placed in
# QUEUED.  FAREWELL -> FAREWELL: closing time may cut a callback offer whose end says goodbye.
PHASE_MOVES: Mapping[Phase, frozenset[Phase]] = {
    Phase.WELCOME: frozenset({Phase.FAREWELL, Phase.MENU, Phase.QUEUED, Phase.ENDED}),
    Phase.MENU: frozenset({Phase.FAREWELL, Phase.QUEUED, Phase.ENDED}),
    Phase.QUEUED: frozenset({Phase.RINGING, Phase.FAREWELL, Phase.ENDED}),
    Phase.RINGING: frozenset({Phase.QUEUED, Phase.CONNECTED, Phase.WHISPER, Phase.ENDED}),
    Phase.CONNECTED: frozenset({Phase.TRANSFERRING, Phase.SURVEY, Phase.ENDED}),
    Phase.SURVEY: frozenset({Phase.ENDED}),
    # A transfer that fails brings the caller back to the agent or, gone, into the queue.
    Phase.TRANSFERRING: frozenset({Phase.ESCALATED, Phase.CONNECTED, Phase.QUEUED, Phase.ENDED}),
    Phase.ESCALATED: frozenset({Phase.ENDED}),
    Phase.WHISPER: frozenset({Phase.DIALING, Phase.ENDED}),
    Phase.DIALING: frozenset({Phase.CONNECTED, Phase.ENDED}),
    Phase.FAREWELL: frozenset({Phase.FAREWELL, Phase.ENDED}),
    Phase.ENDED: frozenset(),
}
# Phases in which someone may be in the contact's bridge.
_BRIDGED = frozenset(
    {
        Phase.WHISPER,
        Phase.DIALING,
        Phase.CONNECTED,
        Phase.TRANSFERRING,
        Phase.ESCALATED,
        Phase.SURVEY,
    }
)
WAITING = (Phase.QUEUED, Phase.RINGING)


class Trigger(StrEnum):
    """What may happen to a contact from outside its own flow: a leg's event, a guard timer."""

    AGENT_RINGING = "agent_ringing"
    AGENT_ANSWERED = "agent_answered"
    AGENT_LEG_GONE = "agent_leg_gone"
    OFFER_FAILED = "offer_failed"  # the agent leg could not be dialled or rang out
    MENU_CHOICE = "menu_choice"
    WHISPER_OVER = "whisper_over"
    CITIZEN_ANSWERED = "citizen_answered"
    CITIZEN_NOT_REACHED = "citizen_not_reached"
    ESCALATION_ANSWERED = "escalation_answered"
    ESCALATION_FAILED = "escalation_failed"


# In which phases each trigger means something.  Anywhere else it is a late or duplicate event
# (a race between ARI events, a timer that fired as it was cancelled): logged and ignored.
ACCEPTS: Mapping[Trigger, frozenset[Phase]] = {
    Trigger.AGENT_RINGING: frozenset({Phase.RINGING}),
    Trigger.AGENT_ANSWERED: frozenset({Phase.RINGING}),
    Trigger.AGENT_LEG_GONE: frozenset({Phase.RINGING, Phase.CONNECTED}),
    Trigger.OFFER_FAILED: frozenset({Phase.RINGING}),
    Trigger.MENU_CHOICE: frozenset({Phase.MENU}),
    Trigger.WHISPER_OVER: frozenset({Phase.WHISPER}),
    Trigger.CITIZEN_ANSWERED: frozenset({Phase.DIALING}),
    Trigger.CITIZEN_NOT_REACHED: frozenset({Phase.DIALING}),
    Trigger.ESCALATION_ANSWERED: frozenset({Phase.TRANSFERRING}),
    Trigger.ESCALATION_FAILED: frozenset({Phase.TRANSFERRING}),
}


class Prompt(StrEnum):
    """Which flow a playback belongs to: its end goes back there."""

    PROMPT = "prompt"  # inbound: welcome, farewell
    MENU = "menu"
    CALLBACK_OFFER = "callback_offer"
    ANNOUNCEMENT = "announcement"
    WHISPER = "whisper"  # callback placing: told to the agent
    TRANSFER = "transfer"  # transfers: told to the caller while the escalation point rings
    SURVEY = "survey"  # the survey's questions and thanks


@dataclass(slots=True)
class CallbackLeg:
    """A stored callback this contact is placing: which one, which attempt, to what number."""

    callback_id: str
    attempt_seq: int
    number: str  # E.164


@dataclass(slots=True)
class ContactState:
    record: ContactRecord
    line: LineConfig | None
    seq: int  # arrival order: first come, first served among equals
    phase: Phase = Phase.WELCOME
    priority: int = 0  # higher first; routing steps may raise it
    routed: bool = False  # known to the router (queued or offered)
    playback_id: str | None = None  # the welcome, farewell or whisper prompt playing
    agent_id: str | None = None
    agent_channel: str | None = None
    bridge_id: str | None = None
    # The agent picked up and caller and agent are being bridged (phase still RINGING): the
    # contact counts as answered only once the addChannel has succeeded, so a caller who hangs
    # up in those milliseconds is an abandon, not an answered call of no length.
    bridging: bool = False
    # Something besides the call's two parties has been in the bridge (a recorder, a barging
    # supervisor, an escalation point): it is destroyed at the end, never kept for another call.
    bridge_shared: bool = False
    bridged_anew: bool = False  # its bridge went missing once and another was taken
    farewell: Outcome | None = None  # the outcome recorded once the farewell ends the call
    menu: Menu | None = None
    announcer: AnnouncementScheduler | None = None
    callback_offer: CallbackOffer | None = None
    callback: CallbackLeg | None = None  # set for a callback being placed (agent first)
    escalation_channel: str | None = None  # the escalation point's leg, ringing or bridged
    survey: Survey | None = None
    talk_ended_at: datetime | None = None  # the agent left for good, the caller stayed on
    recording: cmd.RecordingStep | None = None  # the bridge is being recorded
    # A call a restart found with no record: it has waited since Asterisk made its channel,
    # so its wait counts from then (an honest, never flattering service level).
    waiting_since: datetime | None = None

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def caller_channel(self) -> str:
        return self.record.channel_id

    def may(self, phase: Phase) -> bool:
        return phase in PHASE_MOVES[self.phase]

    def accepts(self, trigger: Trigger) -> bool:
        """Whether ``trigger`` means something in this phase; if not, say so once."""
        if self.phase in ACCEPTS[trigger]:
            return True
        log.info("contact %s: %s ignored in phase %s", self.id, trigger, self.phase)
        return False


class ContactTable:
    def __init__(
        self, config: EngineConfig, router: Router, agents: AgentBook, ids: IdFactory
    ) -> None:
        self._config = config
        self._router = router
        self._agents = agents
        self._ids = ids
        self._seq = itertools.count()
        self._contacts: dict[str, ContactState] = {}
        self._by_channel: dict[str, str] = {}  # caller and agent-leg channel id -> contact id
        self._by_playback: dict[str, tuple[str, Prompt]] = {}
        self._ended_channels: deque[str] = deque(maxlen=_RECENTLY_ENDED)
        self._ended_set: set[str] = set()
        self.handle_times = HandleTimes(window=config.handle_time_window)
        # (line, caller number) -> (original queue time, until when a call back rejoins there)
        self._rejoin: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        # No more calls than agents are bridged at once: no more bridges are worth keeping.
        self.bridges = BridgePool(capacity=len(config.agents))

    # ------------------------------------------------------------------ lookups

    @property
    def contacts(self) -> Mapping[str, ContactState]:
        return MappingProxyType(self._contacts)

    def get(self, contact_id: str) -> ContactState | None:
        return self._contacts.get(contact_id)

    def of_channel(self, channel_id: str) -> ContactState | None:
        contact_id = self._by_channel.get(channel_id)
        return self._contacts.get(contact_id) if contact_id else None

    def knows_channel(self, channel_id: str) -> bool:
        return channel_id in self._by_channel or channel_id in self._ended_set

    def tracked_channels(self) -> Iterator[str]:
        return iter(tuple(self._by_channel))

    def queue_position(self, contact: ContactState) -> int:
        """1 for the caller who is next for their line code, counting only who still waits."""
        key = _place(contact)
        code = contact.record.line_code
        return 1 + sum(
            1
            for c in self._contacts.values()
            if c is not contact
            and c.phase in WAITING
            and c.record.line_code == code
            and _place(c) < key
        )

    # ------------------------------------------------------------------ changes

    def add(
        self,
        record: ContactRecord,
        line: LineConfig | None,
        phase: Phase = Phase.WELCOME,
        priority: int = 0,
    ) -> ContactState:
        contact = ContactState(record, line, next(self._seq), phase=phase, priority=priority)
        self._contacts[record.id] = contact
        self._by_channel[record.channel_id] = record.id
        return contact

    def add_leg(self, contact: ContactState, channel_id: str) -> None:
        self._by_channel[channel_id] = contact.id

    def drop_leg(self, channel_id: str | None) -> None:
        if channel_id is not None:
            self._by_channel.pop(channel_id, None)
        self._forget(channel_id)

    def add_playback(self, contact: ContactState, playback_id: str, owner: Prompt) -> None:
        self._by_playback[playback_id] = (contact.id, owner)

    def take_playback(self, playback_id: str) -> tuple[ContactState, Prompt] | None:
        """The contact and flow a finished playback belongs to (forgotten from now on)."""
        found = self._by_playback.pop(playback_id, None)
        contact = self._contacts.get(found[0]) if found else None
        return (contact, found[1]) if contact is not None and found else None

    def play(
        self,
        contact: ContactState,
        channel_id: str,
        media: tuple[str, ...],
        owner: Prompt,
        out: list[cmd.Command],
    ) -> None:
        """A prompt guarded by a timer: its end (or the guard) moves the contact on."""
        playback_id = self._ids("pb")
        contact.playback_id = playback_id
        self.add_playback(contact, playback_id, owner)
        lang = contact.line.language if contact.line else None
        out.append(cmd.Play(channel_id, media, playback_id, lang))
        out.append(cmd.StartTimer(_guard(owner, contact), self._config.prompt_guard_s))

    def prompt_over(self, contact: ContactState, owner: Prompt, out: list[cmd.Command]) -> None:
        """The prompt of :meth:`play` ended (or its guard fired): forget it, drop its guard."""
        self._by_playback.pop(contact.playback_id or "", None)
        contact.playback_id = None
        out.append(cmd.CancelTimer(_guard(owner, contact)))

    def to_phase(self, contact: ContactState, phase: Phase) -> None:
        if not contact.may(phase):
            raise IllegalTransition(f"contact {contact.id}: {contact.phase} -> {phase}")
        log.debug("contact %s: %s -> %s", contact.id, contact.phase, phase)
        contact.phase = phase

    def take_bridge(self, contact: ContactState, out: list[cmd.Command]) -> str:
        """The mixing bridge of ``contact``'s call: a kept one, else made now."""
        contact.bridge_id = self.bridges.take(contact.id, out)
        return contact.bridge_id

    def release_bridge(
        self, contact: ContactState, leaving: tuple[str, ...] | None, out: list[cmd.Command]
    ) -> None:
        """The contact is done with its bridge.  ``leaving``: the channels (being hung up) that
        may still be in it, or None when one may stay in it (a caller kept for the survey):
        such a bridge, and one that held anything besides the call, is destroyed; any other is
        kept for the next call (:mod:`acd.engine.bridges`)."""
        bridge_id = contact.bridge_id
        if bridge_id is None:
            return
        contact.bridge_id = None
        if leaving is None or contact.bridge_shared:
            out.append(cmd.DestroyBridge(bridge_id))
        else:
            self.bridges.give_back(bridge_id, leaving, out)
        contact.bridge_shared = False

    def bridge_missing(self, bridge_id: str, out: list[cmd.Command]) -> None:
        """A bridge of ours is gone from Asterisk: never handed out again, and a call that
        was being put in it, or talked in it, is put in another."""
        self.bridges.forget(bridge_id)
        contact = next((c for c in self._contacts.values() if c.bridge_id == bridge_id), None)
        if contact is None:
            return
        contact.bridge_id = None
        contact.bridge_shared = False
        talking = contact.bridging or contact.phase is Phase.CONNECTED
        if talking and contact.agent_channel is not None and not contact.bridged_anew:
            contact.bridged_anew = True  # once: a second bridge lost is no stray console
            log.warning("contact %s: bridge %s gone; bridged anew", contact.id, bridge_id)
            both = (contact.caller_channel, contact.agent_channel)
            out.append(cmd.AddToBridge(self.take_bridge(contact, out), both))
        # Otherwise it was kept for the contact's next offer: the answer takes another.

    def emit(
        self, contact: ContactState, kind: ContactEventKind, now: datetime, out: list[cmd.Command]
    ) -> None:
        out.append(cmd.Emit(ContactEvent(kind, now, contact.record.snapshot())))

    # ------------------------------------------------------------------ the router's queue

    def route(self, contact: ContactState, now: datetime, waiting_since: datetime) -> None:
        """Into the router, at the place its queue time gives it (kept across re-routing)."""
        self._router.add_contact(
            contact.id,
            contact.record.line_code or "",
            now.timestamp(),
            priority=contact.priority,
            waiting_since=waiting_since.timestamp(),
        )
        contact.routed = True

    def unroute(self, contact: ContactState) -> None:
        if contact.routed:
            contact.routed = False
            self._router.remove_contact(contact.id)

    def requeue(self, contact: ContactState, now: datetime) -> None:
        if contact.routed:  # a caller leaving with a callback is no longer routed
            self._router.requeue(contact.id, now.timestamp())

    # ------------------------------------------------------------------ rejoining

    def rejoined_at(self, contact: ContactState, now: datetime) -> datetime | None:
        """A caller whose call dropped and who calls the same line again soon gets their old
        place and wait clock back."""
        key = (contact.record.line or "", contact.record.caller_number)
        found = self._rejoin.pop(key, None)
        if found is None or found[1] < now:
            return None
        log.info("contact %s rejoins the queue at its earlier place (%s)", contact.id, found[0])
        return found[0]

    def _remember_for_rejoin(self, contact: ContactState, now: datetime) -> None:
        record, line = contact.record, contact.line
        anonymous = record.caller_number in ("", "anonymous", "unknown")
        if line is None or record.queued_at is None or anonymous or line.rejoin_window_s <= 0:
            return
        until = now + timedelta(seconds=line.rejoin_window_s)
        self._rejoin[(line.id, record.caller_number)] = (record.queued_at, until)
        if len(self._rejoin) > _RECENTLY_ENDED:  # forget the expired ones now and then
            self._rejoin = {k: v for k, v in self._rejoin.items() if v[1] >= now}

    # ------------------------------------------------------------------ teardown

    def stop_dialogues(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """Stop the announcements (an agent connection or closing time always wins)."""
        if contact.announcer is not None:
            ivr_glue.translate(contact.announcer.stop(now), contact, self, Prompt.ANNOUNCEMENT, out)
            contact.announcer = None

    def cancel_callback_offer(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> bool:
        """Stop an offer in progress; True if the caller had already accepted it."""
        offer = contact.callback_offer
        if offer is None:
            return False
        accepted = offer.number is not None
        ivr_glue.translate(offer.cancel(now), contact, self, Prompt.CALLBACK_OFFER, out)
        contact.callback_offer = None
        return accepted

    def end(
        self, contact: ContactState, outcome: Outcome, now: datetime, out: list[cmd.Command]
    ) -> None:
        if not contact.may(Phase.ENDED):
            raise IllegalTransition(f"contact {contact.id}: {contact.phase} -> ended")
        if contact.playback_id is not None:
            owner = self._by_playback.get(contact.playback_id, ("", Prompt.PROMPT))[1]
            self.prompt_over(contact, owner, out)
        if contact.menu is not None:
            ivr_glue.translate(contact.menu.cancel(now), contact, self, Prompt.MENU, out)
            contact.menu = None
        self.stop_dialogues(contact, now, out)
        if contact.survey is not None:
            ivr_glue.translate(contact.survey.cancel(now), contact, self, Prompt.SURVEY, out)
            contact.survey = None
        if contact.recording is not None:  # its bridge goes with the contact
            out.append(replace(contact.recording, ended_at=now))
            contact.recording = None
        if contact.bridge_id is not None:
            # Made for an offer and kept for the next one, which never came (the caller left
            # the queue): empty, unless the contact ends while in it; a bridged call's own
            # teardown has given it up already.
            in_it = contact.bridging or contact.phase in _BRIDGED
            self.release_bridge(contact, None if in_it else (), out)
        if self.cancel_callback_offer(contact, now, out) and outcome is Outcome.ABANDONED:
            outcome = Outcome.CALLBACK_REQUESTED  # hung up during the confirmation: still owed
        self.unroute(contact)
        record = contact.record
        if outcome is Outcome.ANSWERED and record.emailed_to is not None:
            outcome = Outcome.ESCALATED_EMAIL
            record.escalation_point = record.emailed_to
        record.outcome = outcome
        record.ended_at = now
        if record.agent_id is not None and record.answered_at is not None:
            # An escalated caller left their agent then; a surveyed one when the survey began.
            talk_end = record.transferred_at or contact.talk_ended_at or now
            self._agents.add_talk_time(
                record.agent_id, (talk_end - record.answered_at).total_seconds(), now
            )
        handled = ivr_glue.handle_seconds(record, self._config.wrap_up_s, contact.talk_ended_at)
        if handled is not None and record.line_code:
            self.handle_times.add(record.line_code, handled)
        if outcome is Outcome.ABANDONED:
            self._remember_for_rejoin(contact, now)
        self.to_phase(contact, Phase.ENDED)
        self.emit(contact, ContactEventKind.ENDED, now, out)
        self.drop_leg(contact.caller_channel)
        del self._contacts[contact.id]

    def _forget(self, channel_id: str | None) -> None:
        if channel_id is None:
            return
        if len(self._ended_channels) == self._ended_channels.maxlen:
            self._ended_set.discard(self._ended_channels[0])
        self._ended_channels.append(channel_id)
        self._ended_set.add(channel_id)


def _guard(owner: Prompt, contact: ContactState) -> TimerKey:
    kind = TimerKind.WHISPER if owner is Prompt.WHISPER else TimerKind.PROMPT
    return TimerKey(kind, contact.id)


def _place(contact: ContactState) -> tuple[int, datetime, int]:
    record = contact.record
    assert record.queued_at is not None
    return (-contact.priority, record.queued_at, contact.seq)
