"""The engine core: contacts and agents as sans-I/O state machines, behind one façade.

``EngineCore.handle(input, now)`` applies one input and returns the commands for the shell to
carry out.  The core is split by the state each part owns:

- :mod:`~acd.engine.agents` (agent book): presence, activity, day counters, the router's view
  of agents, per-line-code tallies;
- :mod:`~acd.engine.contacts` (contact table): contacts and their indexes, phases, teardown;
- :mod:`~acd.engine.inbound`: arrival to queue, menus, announcements, the callback offer;
- :mod:`~acd.engine.offers`: router matches, agent legs, bridged calls;
- :mod:`~acd.engine.callback_placing`: a stored callback placed agent first;
- :mod:`~acd.engine.transfers`: a caller handed to an escalation point by phone;
- :mod:`~acd.engine.recovery`: the calls an earlier run left in Asterisk, taken up.

This façade only routes: each input goes to exactly one part (timers by their
:class:`~acd.engine.timers.TimerKind`, playbacks by the flow recorded as their owner, channel
events by whose leg the channel is).  A handler checks before it changes anything; an input
that does not fit (a late event after a race, a duplicate) changes nothing.  An unexpected
error in a handler is logged once with its input and the input returns no commands; refusals
of API requests (:class:`UnknownAgent`, :class:`RefusedTransition`) go back to the caller.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.agent_state import AgentState
from acd.engine.agents import AgentBook
from acd.engine.callback_placing import CallbackPlacing
from acd.engine.contacts import ContactState, ContactTable, IdFactory, Phase, Prompt
from acd.engine.inbound import Inbound
from acd.engine.model import EngineConfig
from acd.engine.monitoring import Monitoring, MonitorSession
from acd.engine.offers import Offers
from acd.engine.recording import Recordings
from acd.engine.recovery import Recovery
from acd.engine.registration import Registrations
from acd.engine.survey import Surveys
from acd.engine.timers import TimerKey, TimerKind
from acd.engine.transfers import Transfers
from foundation.contact import AgentRecord
from foundation.errors import RefusedTransition, UnknownAgent
from skills import Reservations, Router

__all__ = ["EngineCore", "IdFactory", "random_ids"]

log = logging.getLogger(__name__)

_CITIZEN_DIALLED = (Phase.DIALING, Phase.CONNECTED)
_INBOUND_TIMERS = frozenset(
    {
        TimerKind.PROMPT,
        TimerKind.MENU,
        TimerKind.ANNOUNCE,
        TimerKind.CALLBACK_OFFER_DUE,
        TimerKind.CALLBACK_DIALOGUE,
        TimerKind.CLOSE,
    }
)
_OFFER_TIMERS = frozenset({TimerKind.ROUTE, TimerKind.RING})
_PLACING_TIMERS = frozenset({TimerKind.WHISPER, TimerKind.CITIZEN})
_TRANSFERRING = (Phase.TRANSFERRING, Phase.ESCALATED)


def random_ids(prefix: str) -> str:
    # The 48 random bits uuid4().hex[:12] gave, without building a UUID (some 5 ids a call).
    return f"{prefix}-{os.urandom(6).hex()}"


class EngineCore:
    def __init__(
        self,
        config: EngineConfig,
        ids: IdFactory = random_ids,
        reservations: Reservations | None = None,
    ) -> None:
        self.config = config
        self.reservations = reservations  # None: the router's own, in memory
        # Reservations: the node's own by default; a shared store (acd.state) with several nodes.
        self._router = Router(config.routing, reservations)
        self._agents = AgentBook(config, self._router)
        self._table = ContactTable(config, self._router, self._agents, ids)
        self._offers = Offers(config, ids, self._router, self._agents, self._table)
        self._inbound = Inbound(config, ids, self._agents, self._table, self._offers)
        self._placing = CallbackPlacing(config, ids, self._agents, self._table, self._offers)
        self._transfers = Transfers(config, ids, self._agents, self._table, self._offers)
        self._registrations = Registrations(dict(config.contact_reasons), self._agents, self._table)
        self._monitoring = Monitoring(config, ids, self._agents, self._table)
        self._recordings = Recordings(self._agents, self._table)
        self._surveys = Surveys(config, ids, self._agents, self._table, self._offers)
        self._recovery = Recovery(
            config, self._agents, self._table, self._offers, self._inbound, self._surveys
        )

    # ------------------------------------------------------------------ entry points

    def handle(self, event: inp.Input, now: datetime) -> list[cmd.Command]:
        out: list[cmd.Command] = []
        try:
            self._route(event, now, out)
            self._monitoring.sweep(now, out)
            # Routing looks only at what changed since its last decision, so asking after
            # every input is cheap, and no input can leave a free agent and a fitting contact
            # apart.
            self._offers.dispatch(now, out)
            self._agents.emit_unsaved(now, out)
        except (UnknownAgent, RefusedTransition):
            raise  # a refused request: nothing changed, the API says why
        except Exception:
            log.exception("engine core failed on %r; its commands are dropped", event)
            return []
        return out

    def initial_events(self, now: datetime) -> list[cmd.Command]:
        """Announce every agent's starting state (for gauges that count agents) and arm the
        closing-time timers of lines that close their queue."""
        out = self._agents.initial_events(now)
        for line in self.config.lines:
            self._inbound.arm_closing(line, now, out)
        return out

    def restore_agents(self, records: Iterable[AgentRecord], now: datetime) -> list[cmd.Command]:
        """Agents back as a previous engine stored them, before the first input (see
        :meth:`AgentBook.restore`); returns their agent events."""
        out: list[cmd.Command] = []
        self._agents.restore(records, now, out)
        self._agents.emit_unsaved(now, out)
        return out

    def restore_agent_figures(self, records: Iterable[AgentRecord], now: datetime) -> None:
        """Only the day's time figures (:meth:`AgentBook.restore_figures`)."""
        self._agents.restore_figures(records, now)

    def pause_offers(self) -> None:
        """Make no offers until :meth:`resume_offers` (the shared state is unreachable)."""
        self._offers.paused = True

    def resume_offers(self, now: datetime) -> list[cmd.Command]:
        """Offer again, every free agent included, and make the offers possible now."""
        out: list[cmd.Command] = []
        self._offers.paused = False
        self._agents.offer_again(now)
        self._offers.dispatch(now, out)
        self._agents.emit_unsaved(now, out)
        return out

    @property
    def kept_bridges(self) -> tuple[str, ...]:
        """Empty mixing bridges kept for the next calls (:mod:`acd.engine.bridges`)."""
        return self._table.bridges.idle

    @property
    def offers_paused(self) -> bool:
        return self._offers.paused

    def _route(self, event: inp.Input, now: datetime, out: list[cmd.Command]) -> None:
        match event:
            case (
                inp.CallArrived()
                | inp.DtmfReceived()
                | inp.CallbackStored()
                | inp.CallbackStoreFailed()
            ):
                self._inbound_input(event, now, out)
            case inp.CallbackDue() | inp.CitizenAnswered():
                self._placing_input(event, now, out)
            case (
                inp.AgentLogin()
                | inp.AgentLogout()
                | inp.SetPresence()
                | inp.AgentShared()
                | inp.CloseContact()
                | inp.MonitorRequested()
                | inp.MonitorStopRequested()
            ):
                self._agent_request(event, now, out)
            case inp.PlaybackDone(playback_id=playback_id):
                self._playback_done(playback_id, now, out)
            case inp.TimerFired(key=key):
                self._timer(key, now, out)
            case (
                inp.AgentLegRinging()
                | inp.AgentLegAnswered()
                | inp.LegsBridged()
                | inp.MonitorLegEntered()
            ):
                self._agent_leg(event, now, out)
            case inp.ChannelGone(channel_id=channel_id, cause=cause):
                self._channel_gone(channel_id, cause, now, out)
            case inp.ChannelMissing(channel_id=channel_id):
                self._channel_gone(channel_id, None, now, out)
            case inp.OriginateFailed() | inp.BridgeMissing():
                self._refused(event, now, out)
            case inp.AriState():
                self._resynced(event, now, out)
            case (
                inp.TransferRequested()
                | inp.EscalationAnswered()
                | inp.EmailEscalated()
                | inp.SurveyRequested()
                | inp.RecordRequested()
                | inp.RecordingRefused()
            ):
                self._call_request(event, now, out)

    def _in_survey(self, channel_id: str) -> ContactState | None:
        contact = self._table.of_channel(channel_id)
        if contact is None or contact.phase is not Phase.SURVEY:
            return None
        return contact if channel_id == contact.caller_channel else None

    def _call_request(
        self,
        event: (
            inp.TransferRequested
            | inp.EscalationAnswered
            | inp.EmailEscalated
            | inp.SurveyRequested
            | inp.RecordRequested
            | inp.RecordingRefused
        ),
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """Requests on a connected call: a transfer, an e-mail escalation, the survey, a
        recording (and Asterisk's refusal to make it)."""
        match event:
            case inp.RecordRequested():
                self._recordings.request(event, now, out)
            case inp.RecordingRefused():
                self._recordings.refused(event, now, out)
            case inp.SurveyRequested():
                self._surveys.request(event, now, out)
            case inp.EmailEscalated():
                self._transfers.emailed(event, now, out)
            case inp.TransferRequested():
                self._transfers.request(event, now, out)
            case inp.EscalationAnswered():
                self._transfers.answered(event, now, out)

    def _inbound_input(
        self,
        event: inp.CallArrived | inp.DtmfReceived | inp.CallbackStored | inp.CallbackStoreFailed,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        match event:
            case inp.CallArrived():
                self._inbound.arrived(event, now, out)
            case inp.DtmfReceived() if (found := self._in_survey(event.channel_id)) is not None:
                self._surveys.dtmf(found, event.digit, now, out)
            case inp.DtmfReceived():
                self._inbound.dtmf(event, now, out)
            case inp.CallbackStored():
                self._inbound.callback_stored(event, now, out)
            case inp.CallbackStoreFailed():
                self._inbound.callback_store_failed(event, now, out)

    def _placing_input(
        self, event: inp.CallbackDue | inp.CitizenAnswered, now: datetime, out: list[cmd.Command]
    ) -> None:
        match event:
            case inp.CallbackDue():
                self._placing.due(event, now, out)
            case inp.CitizenAnswered():
                self._placing.citizen_answered(event, now, out)

    def _agent_request(
        self,
        event: inp.AgentLogin
        | inp.AgentLogout
        | inp.SetPresence
        | inp.AgentShared
        | inp.CloseContact
        | inp.MonitorRequested
        | inp.MonitorStopRequested,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        match event:
            case inp.MonitorRequested():
                self._monitoring.request(event, now, out)
            case inp.MonitorStopRequested():
                self._monitoring.stop(event, now, out)
            case inp.CloseContact():
                self._registrations.close(event, now, out)
            case inp.AgentLogin():
                self._agents.login(event, now, out)
            case inp.AgentLogout():
                self._agents.logout(event, now, out)
            case inp.SetPresence():
                self._agents.set_presence(event, now, out)
            case inp.AgentShared():  # another node changed a shared agent
                self._agents.shared(event, now, out)

    def _agent_leg(
        self,
        event: inp.AgentLegRinging | inp.AgentLegAnswered | inp.LegsBridged | inp.MonitorLegEntered,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """The agent's phone rings; or they picked up: a callback's agent hears the whisper, an
        inbound one is bridged (and answered once ARI says both are in the bridge).  Or a
        monitoring supervisor's phone picked up."""
        if isinstance(event, inp.MonitorLegEntered):
            self._monitoring.answered(event, now, out)
            return
        if isinstance(event, inp.AgentLegRinging):
            self._offers.ringing(event, now, out)
            return
        if isinstance(event, inp.LegsBridged):
            self._offers.bridged(event, now, out)
            contact = self._table.of_channel(event.channel_ids[0]) if event.channel_ids else None
            if contact is not None and contact.recording is None:
                self._recordings.connected(contact, now, out)
            return
        contact = self._table.of_channel(event.channel_id)
        if contact is not None and contact.callback is not None:
            self._placing.agent_answered(event, now, out)
        else:
            self._offers.answered(event, now, out)

    def _refused(
        self, event: inp.OriginateFailed | inp.BridgeMissing, now: datetime, out: list[cmd.Command]
    ) -> None:
        """ARI refused a leg or lost a bridge."""
        if isinstance(event, inp.BridgeMissing):
            self._table.bridge_missing(event.bridge_id, out)
        else:
            self._originate_failed(event, now, out)

    def _originate_failed(
        self, event: inp.OriginateFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        if self._monitoring.owns(event.channel_id):  # the supervisor's phone cannot be dialled
            self._monitoring.channel_gone(event.channel_id, now, out)
            return
        contact = self._table.of_channel(event.channel_id)
        if contact is not None and event.channel_id == contact.escalation_channel:
            self._transfers.originate_failed(contact, event, now, out)
            return
        citizen = contact is not None and contact.callback is not None
        if contact is not None and citizen and event.channel_id == contact.caller_channel:
            self._placing.originate_failed(contact, event, now, out)
        else:
            self._offers.originate_failed(event, now, out)

    def _playback_done(self, playback_id: str, now: datetime, out: list[cmd.Command]) -> None:
        found = self._table.take_playback(playback_id)
        if found is None:
            return
        contact, owner = found
        if owner is Prompt.SURVEY:
            self._surveys.playback_done(contact, playback_id, now, out)
        elif owner is Prompt.TRANSFER:
            if contact.playback_id == playback_id:
                self._transfers.prompt_done(contact, out)
        elif owner is Prompt.WHISPER:
            if contact.playback_id == playback_id:
                self._placing.whisper_over(contact, now, out)
        else:
            self._inbound.playback_done(contact, owner, playback_id, now, out)

    def _timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        if key.kind in _INBOUND_TIMERS:
            self._inbound.timer(key, now, out)
        elif key.kind in _OFFER_TIMERS:
            self._offers.timer(key, now, out)
        elif key.kind in _PLACING_TIMERS:
            self._placing.timer(key, now, out)
        elif key.kind is TimerKind.TRANSFER:
            self._transfers.timer(key, now, out)
        elif key.kind is TimerKind.SURVEY:
            self._surveys.timer(key, now, out)
        else:  # TimerKind.WRAP_UP
            self._agents.timer(key, now, out)

    def _channel_gone(
        self, channel_id: str, cause: int | None, now: datetime, out: list[cmd.Command]
    ) -> None:
        """A channel ended: the caller's (or citizen's) leg, or an agent's, or a monitoring
        supervisor's phone or snoop."""
        self._table.bridges.channel_gone(channel_id)  # a kept bridge it was leaving
        if self._monitoring.owns(channel_id):
            self._monitoring.channel_gone(channel_id, now, out)
            return
        contact = self._table.of_channel(channel_id)
        if contact is None:
            return
        if contact.phase in _TRANSFERRING:
            self._transfers.channel_gone(contact, channel_id, cause, now, out)
        elif contact.phase is Phase.SURVEY:
            if channel_id == contact.caller_channel:
                self._surveys.caller_gone(contact, now, out)
        elif channel_id == contact.caller_channel:
            if contact.callback is not None:
                self._placing.citizen_gone(contact, cause, now, out)
            else:
                self._inbound.caller_gone(contact, now, out)
        elif channel_id == contact.agent_channel:
            if contact.callback is not None:
                self._placing.agent_leg_gone(contact, cause, now, out)
            elif contact.phase is Phase.CONNECTED and self._surveys.agent_hung_up(
                contact, now, out
            ):
                return  # the caller stays on for the survey
            else:
                self._offers.leg_gone(contact, cause, now, out)

    def _resynced(self, ev: inp.AriState, now: datetime, out: list[cmd.Command]) -> None:
        """What ARI says exists after a (re)connection: replay what the lost events would have
        told about the contacts we know, then take up the calls we do not (after a restart)."""
        live = {c.id for c in ev.channels}
        self._table.bridges.resynced(live, {b.id for b in ev.bridges})
        up_in_app = {c.id for c in ev.channels if c.up and c.role is not None}
        for contact in list(self._table.contacts.values()):
            leg = contact.agent_channel
            undialled = contact.callback is not None and contact.phase not in _CITIZEN_DIALLED
            if contact.caller_channel not in live and not undialled:
                self._channel_gone(contact.caller_channel, None, now, out)
            elif leg is not None and leg not in live:
                self._channel_gone(leg, None, now, out)
            elif leg is not None and contact.phase is Phase.RINGING and leg in up_in_app:
                self._route(inp.AgentLegAnswered(leg), now, out)
            elif (escalation := contact.escalation_channel) is not None:
                if escalation not in live:
                    self._channel_gone(escalation, None, now, out)
                elif contact.phase is Phase.TRANSFERRING and escalation in up_in_app:
                    self._transfers.answered(inp.EscalationAnswered(escalation), now, out)
        self._monitoring.resynced(live, now, out)
        self._recovery.take_up(ev, now, out, keep=self._monitoring.resources())

    # ------------------------------------------------------------------ read-only queries

    @property
    def agents(self) -> Mapping[str, AgentState]:
        return self._agents.agents

    @property
    def contacts(self) -> Mapping[str, ContactState]:
        return self._table.contacts

    @property
    def monitor_sessions(self) -> Mapping[str, MonitorSession]:
        return self._monitoring.sessions

    def available_for(self, line_code: str) -> int:
        """Agents available (busy or not) who could answer this line code."""
        return self._agents.available_for(line_code)

    def free_for(self, line_code: str) -> int:
        """Agents available and idle, who could be offered this line code now."""
        return self._agents.free_for(line_code)

    def routing_step(self, contact_id: str, now: datetime) -> tuple[int, float | None]:
        """The routing step a queued contact is at, and when it moves to the next one."""
        return self._router.contact_step(contact_id, now.timestamp())

    def knows_channel(self, channel_id: str) -> bool:
        return self._table.knows_channel(channel_id)

    def tracked_channels(self) -> Iterator[str]:
        """Every caller and agent-leg channel the core follows now (for inspection)."""
        return self._table.tracked_channels()
