"""The engine core: contacts and agents as sans-I/O state machines.

``EngineCore.handle(input, now)`` applies one input and returns the commands for the shell to
carry out.  Everything that changes a contact's phase or an agent's presence/activity happens
here, and every such change is logged in one place (:meth:`_to_phase`, :meth:`_set_agent`).
An input that does not fit the current state (a late event after a race, a duplicate event)
changes nothing and returns no commands.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import ivr_glue
from acd.engine.model import (
    AgentState,
    CallbackLeg,
    ContactState,
    EngineConfig,
    LineConfig,
    NoAgentsAction,
    Phase,
)
from callbacks.schedule import due_by
from foundation.calendars import next_close, status
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    ContactRecord,
    Offer,
    OfferResult,
    Outcome,
    Presence,
)
from foundation.errors import RefusedTransition, UnknownAgent
from ivr.actions import Done
from ivr.announcements import AnnouncementScheduler
from ivr.callback_offer import Accepted, BackToQueue, CallbackOffer, Declined, Finished
from ivr.menu import Menu
from ivr.prompts import closed_media
from skills import Match, Router
from sla.wait_estimate import HandleTimes, estimate_wait

log = logging.getLogger(__name__)

IdFactory = Callable[[str], str]  # "ag" -> "ag-<unique>": every id starts with its prefix, "-"

# The ids of the legs the engine originates start with these: an agent's phone, a citizen called
# back.  After a restart they tell our own legs still ringing from other outgoing calls.
AGENT_LEG = "ag"
CITIZEN_LEG = "cz"

# Q.850 causes seen on agent legs that never answered (see shared/asterisk/README.md).
_CAUSE_RESULT = {17: OfferResult.BUSY, 21: OfferResult.REJECTED, 19: OfferResult.NO_ANSWER}
_LOCAL = ZoneInfo("Europe/Brussels")  # where "today" starts for the per-agent day counters
_RECENTLY_ENDED = 10_000  # channel ids remembered to ignore late duplicate events


def random_ids(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def is_originated_leg(channel_id: str) -> bool:
    """Whether ``channel_id`` is one the engine minted for a leg it originates."""
    prefix, dash, _ = channel_id.partition("-")
    return bool(dash) and prefix in (AGENT_LEG, CITIZEN_LEG)


class EngineCore:
    def __init__(self, config: EngineConfig, ids: IdFactory = random_ids) -> None:
        self.config = config
        self._ids = ids
        self._seq = itertools.count()
        self.agents: dict[str, AgentState] = {a.id: AgentState(a) for a in config.agents}
        self.router = Router(config.routing)
        for agent in config.agents:
            self.router.set_agent(agent.id, agent.line_codes)
        self._offers_made = itertools.count(1)
        # Per line code: agents available (busy or not) and free (available and idle), kept
        # as agents change, so no question about a line code scans every agent.
        self._available: Counter[str] = Counter()
        self._free: Counter[str] = Counter()
        self._route_deadline: float | None = None
        self.contacts: dict[str, ContactState] = {}
        self._by_channel: dict[str, str] = {}  # caller and agent-leg channel id -> contact id
        self._by_playback: dict[str, str] = {}
        self._ended_channels: deque[str] = deque(maxlen=_RECENTLY_ENDED)
        self._ended_set: set[str] = set()
        self._handle_times = HandleTimes(window=config.handle_time_window)
        # (line, caller number) -> (original queue time, until when a call back rejoins there)
        self._rejoin: dict[tuple[str, str], tuple[datetime, datetime]] = {}

    # ------------------------------------------------------------------ entry point

    def handle(self, event: inp.Input, now: datetime) -> list[cmd.Command]:
        out: list[cmd.Command] = []
        _HANDLERS[type(event)](self, event, now, out)
        # Routing looks only at what changed since its last decision, so asking after every
        # input is cheap, and no input can leave a free agent and a fitting contact apart.
        self._dispatch(now, out)
        return out

    def initial_events(self, now: datetime) -> list[cmd.Command]:
        """Announce every agent's starting state (for gauges that count agents) and arm the
        closing-time timers of lines that close their queue."""
        out: list[cmd.Command] = [
            cmd.Emit(AgentEvent(a.id, now, a.presence, a.activity, a.reason, None, None))
            for a in self.agents.values()
        ]
        for line in self.config.lines:
            self._arm_closing(line, now, out)
        return out

    def _arm_closing(self, line: LineConfig, now: datetime, out: list[cmd.Command]) -> None:
        if not line.close_queue_at_closing or line.calendar is None:
            return
        closes = next_close(line.calendar, now)
        if closes is not None:
            delay = max(0.0, (closes - now).total_seconds())
            out.append(cmd.StartTimer(("close", line.id), delay))

    def knows_channel(self, channel_id: str) -> bool:
        return channel_id in self._by_channel or channel_id in self._ended_set

    def tracked_channels(self) -> Iterator[str]:
        """Every caller and agent-leg channel the core follows now (for inspection)."""
        return iter(tuple(self._by_channel))

    # ------------------------------------------------------------------ calls

    def _on_call_arrived(self, ev: inp.CallArrived, now: datetime, out: list[cmd.Command]) -> None:
        if self.knows_channel(ev.channel_id):
            return  # duplicate StasisStart (e.g. subscribed twice): already handled
        line = self.config.line_for(ev.args, ev.exten)
        record = ContactRecord(
            id=self._ids("ct"),
            channel_id=ev.channel_id,
            line=line.id if line else None,
            caller_number=ev.caller_number,
            arrived_at=now,
        )
        contact = ContactState(record=record, line=line, seq=next(self._seq))
        self.contacts[record.id] = contact
        self._by_channel[ev.channel_id] = record.id
        out.append(cmd.Answer(ev.channel_id))
        if line is None:
            log.warning(
                "unknown line for channel %s: Stasis args %s, dialled %r; refusing politely",
                ev.channel_id,
                list(ev.args),
                ev.exten,
            )
            self._farewell(contact, Outcome.UNKNOWN_LINE, self.config.unknown_line_prompt, out)
            return
        record.line_code = self._line_code_hint(line, ev.args)
        self._emit(contact, ContactEventKind.ARRIVED, now, out)
        if line.calendar is not None:
            hours = status(line.calendar, now)
            if not hours.open:
                log.info(
                    "line %s closed (%s %s): contact %s",
                    line.id,
                    hours.reason,
                    hours.detail,
                    record.id,
                )
                prompt = (
                    (hours.message,) if hours.message else line.closed_prompts.get(hours.reason, ())
                )
                media = closed_media(
                    prompt, now, hours.next_opening, line.sounds, line.calendar.timezone
                )
                self._farewell(contact, Outcome.CLOSED, tuple(media), out)
                return
        if line.welcome:
            self._play(contact, line.welcome, line.language, out)
            return
        return self._after_welcome(contact, now, out)

    def _farewell(
        self,
        contact: ContactState,
        outcome: Outcome,
        media: tuple[str, ...],
        out: list[cmd.Command],
    ) -> None:
        """A last message, then hang up; the contact ends with ``outcome``."""
        self._unroute(contact)
        contact.farewell = outcome
        self._to_phase(contact, Phase.FAREWELL)
        if media:
            lang = contact.line.language if contact.line else None
            self._play(contact, media, lang, out)
        else:
            out.append(cmd.Hangup(contact.caller_channel))

    def _after_welcome(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        assert contact.line is not None
        if contact.line.menu is None:
            return self._enqueue(contact, now, out)
        self._to_phase(contact, Phase.MENU)
        contact.menu = Menu(contact.line.menu, self._ids, key=("menu", contact.id))
        return self._menu_actions(contact, contact.menu.start(now), now, out)

    def _menu_actions(
        self, contact: ContactState, actions: list[Any], now: datetime, out: list[cmd.Command]
    ) -> None:
        done = ivr_glue.translate(actions, contact, self._by_playback, out)
        if not isinstance(done, Done) or contact.phase is not Phase.MENU:
            return
        log.info("contact %s chose %s in the menu (%s)", contact.id, done.line_code, done.reason)
        contact.record.line_code = done.line_code
        contact.menu = None
        return self._enqueue(contact, now, out)

    @staticmethod
    def _line_code_hint(line: LineConfig, args: tuple[str, ...]) -> str:
        # Stasis(acd,inbound,<line>,<line code>) may name the line code directly.
        if len(args) > 2 and args[2] in line.line_codes:
            return args[2]
        return line.default_line_code

    def _on_playback_done(
        self, ev: inp.PlaybackDone, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact_id = self._by_playback.pop(ev.playback_id, None)
        contact = self.contacts.get(contact_id) if contact_id else None
        if contact is None:
            return
        if contact.playback_id == ev.playback_id:
            return self._prompt_finished(contact, now, out)
        if contact.menu is not None and contact.menu.playback_id == ev.playback_id:
            return self._menu_actions(
                contact, contact.menu.playback_finished(ev.playback_id, now), now, out
            )
        offer = contact.callback_offer
        if offer is not None and offer.playback_id == ev.playback_id:
            return self._offer_actions(
                contact, offer.playback_finished(ev.playback_id, now), now, out
            )
        announcer = contact.announcer
        if announcer is not None and announcer.playback_id == ev.playback_id:
            ivr_glue.translate(
                announcer.playback_finished(ev.playback_id, now), contact, self._by_playback, out
            )
            if contact.phase in ivr_glue.WAITING and contact.line is not None:
                out.append(cmd.StartMoh(contact.caller_channel, contact.line.moh_class))
        return

    def _prompt_finished(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact.playback_id = None
        out.append(cmd.CancelTimer(("prompt", contact.id)))
        if contact.phase is Phase.FAREWELL:
            out.append(cmd.Hangup(contact.caller_channel))
            return
        if contact.phase is Phase.WELCOME:
            return self._after_welcome(contact, now, out)
        if contact.phase is Phase.WHISPER:
            self._dial_citizen(contact, now, out)
        return

    def _enqueue(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        line = contact.line
        assert line is not None
        record = contact.record
        if not self.available_for(record.line_code or ""):
            rule = line.no_agents
            if rule.action is NoAgentsAction.MESSAGE:
                log.info(
                    "no agents for %s: contact %s hears the message", record.line_code, contact.id
                )
                self._farewell(contact, Outcome.NO_AGENTS, rule.prompt, out)
                return
            if rule.action is NoAgentsAction.FALLBACK and rule.fallback_line_code:
                log.info(
                    "no agents for %s: contact %s goes to %s",
                    record.line_code,
                    contact.id,
                    rule.fallback_line_code,
                )
                record.line_code = rule.fallback_line_code
        record.queued_at = self._rejoined_at(contact, now) or now
        self._to_phase(contact, Phase.QUEUED)
        self._route(contact, now)
        out.append(cmd.StartMoh(contact.caller_channel, line.moh_class))
        self._emit(contact, ContactEventKind.QUEUED, now, out)
        if line.callbacks is not None:
            waited = (now - record.queued_at).total_seconds()  # a rejoined caller waited before
            delay = max(0.0, line.callbacks.offer_after_s - waited)
            out.append(cmd.StartTimer(("cboffer", contact.id), delay))
        if line.announcements is not None:
            contact.announcer = AnnouncementScheduler(
                line.announcements, self._ids, key=("announce", contact.id), last_prompt_at=now
            )
            ivr_glue.translate(contact.announcer.start(now), contact, self._by_playback, out)
        return

    def available_for(self, line_code: str) -> int:
        """Agents available (busy or not) who could answer this line code."""
        return self._available[line_code]

    def free_for(self, line_code: str) -> int:
        """Agents available and idle, who could be offered this line code now."""
        return self._free[line_code]

    def _rejoined_at(self, contact: ContactState, now: datetime) -> datetime | None:
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

    def _on_dtmf(self, ev: inp.DtmfReceived, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._contact_of(ev.channel_id)
        if contact is None or ev.channel_id != contact.caller_channel:
            return
        if contact.menu is not None and contact.phase is Phase.MENU:
            return self._menu_actions(contact, contact.menu.digit(ev.digit, now), now, out)
        if contact.callback_offer is not None:
            return self._offer_actions(
                contact, contact.callback_offer.digit(ev.digit, now), now, out
            )
        # Digits outside a dialogue mean nothing.

    def _on_leg_ringing(
        self, ev: inp.AgentLegRinging, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._contact_of(ev.channel_id)
        if contact and contact.phase is Phase.RINGING and contact.agent_channel == ev.channel_id:
            agent = self.agents[contact.agent_id or ""]
            if agent.activity is Activity.RESERVED:
                self._set_agent(agent, now, out, activity=Activity.RINGING)

    def _on_leg_answered(
        self, ev: inp.AgentLegAnswered, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._contact_of(ev.channel_id)
        if contact is None or contact.agent_channel != ev.channel_id:
            # The contact ended while this agent's phone was ringing: release the agent's phone.
            log.info("agent leg %s answered after its contact ended; hanging up", ev.channel_id)
            out.append(cmd.Hangup(ev.channel_id))
            return
        if contact.phase is not Phase.RINGING:
            return
        agent = self.agents[contact.agent_id or ""]
        if contact.callback is not None:
            self._whisper(contact, agent, ev.channel_id, now, out)
            return
        bridge_id = self._ids("br")
        contact.bridge_id = bridge_id
        self._stop_announcements(contact, now, out)  # the agent connection always wins
        self._cancel_callback_offer(contact, now, out)
        out += [
            cmd.CancelTimer(("ring", ev.channel_id)),
            cmd.StopMoh(contact.caller_channel),
            cmd.CreateBridge(bridge_id),
            cmd.AddToBridge(bridge_id, (contact.caller_channel, ev.channel_id)),
        ]
        self._unroute(contact)
        record = contact.record
        record.answered_at = now
        record.agent_id = agent.id
        self._roll_day(agent, now)
        agent.contacts_today += 1
        agent.missed_in_a_row = 0
        self._close_offer(contact, OfferResult.ANSWERED, None, now)
        self._to_phase(contact, Phase.CONNECTED)
        self._set_agent(agent, now, out, activity=Activity.ON_CALL)
        self._emit(contact, ContactEventKind.ANSWERED, now, out)
        return

    def _on_channel_gone(self, ev: inp.ChannelGone, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._contact_of(ev.channel_id)
        if contact is None:
            return
        if ev.channel_id == contact.caller_channel and contact.phase is Phase.DIALING:
            result = _CITIZEN_RESULT.get(ev.cause or 19, "failed")  # no cause: it rang out
            self._citizen_not_reached(contact, result, now, out)
            return
        if ev.channel_id == contact.caller_channel:
            return self._caller_gone(contact, now, out)
        if ev.channel_id == contact.agent_channel:
            return self._agent_leg_gone(contact, ev.cause, now, out)
        return

    def _on_channel_missing(
        self, ev: inp.ChannelMissing, now: datetime, out: list[cmd.Command]
    ) -> None:
        return self._on_channel_gone(inp.ChannelGone(ev.channel_id), now, out)

    def _caller_gone(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        phase = contact.phase
        if phase is Phase.RINGING:
            self._cancel_ring(contact, now, out)
        elif phase is Phase.CONNECTED:
            self._hang_up_leg_and_bridge(contact, contact.agent_channel, out)
            self._release_agent(contact, now, out, wrap_up=True)
        if phase is Phase.FAREWELL and contact.farewell is not None:
            outcome = contact.farewell
        else:
            outcome = Outcome.ANSWERED if phase is Phase.CONNECTED else Outcome.ABANDONED
        self._end(contact, outcome, now, out)

    def _cancel_ring(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """Stop ringing the agent for this contact; the agent keeps their place, unpenalised."""
        assert contact.agent_channel is not None
        out.append(cmd.Hangup(contact.agent_channel))
        out.append(cmd.CancelTimer(("ring", contact.agent_channel)))
        self._close_offer(contact, OfferResult.CANCELLED, None, now)
        self._release_agent(contact, now, out, wrap_up=False)
        self._to_phase(contact, Phase.QUEUED)

    def _agent_leg_gone(
        self, contact: ContactState, cause: int | None, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.phase in (Phase.WHISPER, Phase.DIALING):
            self._callback_agent_left(contact, now, out)
            return
        if contact.phase is Phase.CONNECTED:
            # Asterisk leaves the caller alone in the bridge: we hang up and tear down.
            self._hang_up_leg_and_bridge(contact, contact.caller_channel, out)
            self._release_agent(contact, now, out, wrap_up=True)
            self._end(contact, Outcome.ANSWERED, now, out)
            return
        if contact.phase is Phase.RINGING:
            result = _CAUSE_RESULT.get(cause or 0, OfferResult.UNREACHABLE)
            if cause is None:
                result = OfferResult.NO_ANSWER  # found gone on resync: the cause is lost
            self._offer_failed(contact, result, cause, now, out)
            return
        return

    def _on_originate_failed(
        self, ev: inp.OriginateFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._contact_of(ev.channel_id)
        if contact is None:
            return
        if contact.phase is Phase.DIALING and ev.channel_id == contact.caller_channel:
            log.warning("cannot dial the citizen of callback contact %s: %s", contact.id, ev.reason)
            self._citizen_not_reached(contact, "failed", now, out)
            return
        if contact.agent_channel != ev.channel_id:
            return
        log.warning("cannot dial agent %s: %s", contact.agent_id, ev.reason)
        self._offer_failed(contact, OfferResult.UNREACHABLE, None, now, out)
        return

    def _offer_failed(
        self,
        contact: ContactState,
        result: OfferResult,
        cause: int | None,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        assert contact.agent_channel is not None
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        out.append(cmd.CancelTimer(("ring", contact.agent_channel)))
        self._close_offer(contact, result, cause, now)
        agent.missed_in_a_row += 1
        delay = self.config.offer_delay_s.get(result, 0.0)
        agent.not_before = now + timedelta(seconds=delay) if delay > 0 else None
        missed_too_often = agent.missed_in_a_row >= self.config.missed_in_a_row
        if agent.presence is Presence.AVAILABLE and missed_too_often:
            # Not available in every line code at once: one presence, not one per queue.
            self._set_agent(
                agent, now, out, presence=Presence.NOT_AVAILABLE, reason=self.config.missed_reason
            )
        self._release_agent(contact, now, out, wrap_up=False)
        self._to_phase(contact, Phase.QUEUED)
        if contact.routed:  # a caller leaving with a callback is no longer routed
            self.router.requeue(contact.id, now.timestamp())
        self._emit(contact, ContactEventKind.OFFER_ENDED, now, out)

    def _on_timer(self, ev: inp.TimerFired, now: datetime, out: list[cmd.Command]) -> None:
        handler = _TIMERS.get(ev.key[0])
        if handler is not None:
            handler(self, ev.key, now, out)

    def _contact_timer(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        """Timers of a contact's dialogue flows: menu, announcements, callback offer."""
        kind, contact = key[0], self.contacts.get(key[1])
        if contact is None:
            return
        if kind == "menu" and contact.menu is not None:
            self._menu_actions(contact, contact.menu.timer(key, now), now, out)
        elif kind == "announce" and contact.announcer is not None:
            self._announce(contact, key, now, out)
        elif kind == "cboffer":
            self._start_callback_offer(contact, now, out)
        elif kind == "cbo" and contact.callback_offer is not None:
            self._offer_actions(contact, contact.callback_offer.timer(key, now), now, out)

    def _close_timer(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        self._close_queue(key[1], now, out)

    def _route_timer(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        self._route_deadline = None  # fired: _dispatch re-arms it for the next deadline

    def _prompt_guard(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        contact = self.contacts.get(key[1])
        if contact is not None and contact.playback_id is not None:
            log.warning("prompt for contact %s never finished; moving on", contact.id)
            self._by_playback.pop(contact.playback_id, None)
            self._prompt_finished(contact, now, out)

    def _ring_guard(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        leg = key[1]
        contact = self._contact_of(leg)
        if contact and contact.phase is Phase.RINGING and contact.agent_channel == leg:
            log.warning("agent leg %s outlived its ring timeout; hanging up", leg)
            out.append(cmd.Hangup(leg))
            self._offer_failed(contact, OfferResult.NO_ANSWER, None, now, out)

    def _wrap_up_over(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        agent = self.agents.get(key[1])
        if agent is not None and agent.activity is Activity.WRAP_UP:
            self._set_agent(agent, now, out, activity=Activity.IDLE, idle_since=now)

    # ------------------------------------------------------------------ callback offer

    def _start_callback_offer(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        rule = contact.line.callbacks if contact.line else None
        if rule is None or contact.callback_offer is not None:
            return
        if contact.phase is Phase.RINGING:
            # An agent is about to answer: offering now would only be cut off.  Ask later.
            out.append(cmd.StartTimer(("cboffer", contact.id), 15.0))
            return
        if contact.phase is not Phase.QUEUED:
            return
        log.info(
            "contact %s waited %.0f s: offering a callback",
            contact.id,
            (now - (contact.record.queued_at or now)).total_seconds(),
        )
        if contact.announcer is not None:
            ivr_glue.translate(
                contact.announcer.other_prompt_started(now), contact, self._by_playback, out
            )
        contact.callback_offer = CallbackOffer(
            rule.offer, self._ids, key=("cbo", contact.id), caller_id=contact.record.caller_number
        )
        self._emit(contact, ContactEventKind.CALLBACK_OFFERED, now, out)
        self._offer_actions(contact, contact.callback_offer.start(now), now, out, pause_moh=True)

    def _offer_actions(
        self,
        contact: ContactState,
        actions: list[Any],
        now: datetime,
        out: list[cmd.Command],
        *,
        pause_moh: bool = False,
    ) -> None:
        ending = ivr_glue.translate(actions, contact, self._by_playback, out, pause_moh=pause_moh)
        match ending:
            case Accepted(number_e164=number):
                return self._store_callback(contact, number, now, out)
            case Finished():
                contact.callback_offer = None
                self._farewell(contact, Outcome.CALLBACK_REQUESTED, (), out)
            case Declined() | BackToQueue():
                log.info("contact %s keeps waiting (%s)", contact.id, ending)
                self._callback_offer_over(contact, now, out)
                return
        return

    def _store_callback(
        self, contact: ContactState, number: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        line = contact.line
        assert line is not None
        assert line.callbacks is not None
        # Out of the queue while we store: no agent must be rung for a caller who is leaving,
        # and one already ringing is released (it was not their miss).
        if contact.phase is Phase.RINGING:
            self._cancel_ring(contact, now, out)
        self._unroute(contact)
        due = (
            due_by(line.calendar, now, line.callbacks.working_days)
            if line.calendar is not None
            else now + timedelta(days=line.callbacks.working_days)
        )
        out.append(
            cmd.StoreCallback(contact.id, number, line.id, contact.record.line_code or "", now, due)
        )

    def _on_callback_stored(
        self, ev: inp.CallbackStored, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self.contacts.get(ev.contact_id)
        if contact is None or contact.callback_offer is None:
            return  # the caller hung up meanwhile: the callback is stored all the same
        log.info(
            "callback %s stored for contact %s%s",
            ev.callback_id,
            contact.id,
            " (merged with a pending one)" if ev.merged else "",
        )
        self._emit(contact, ContactEventKind.CALLBACK_REQUESTED, now, out)
        rule = contact.line.callbacks if contact.line else None
        if rule is not None and rule.virtual_hold and not ev.merged:
            out.append(cmd.PlaceCallbackNow(ev.callback_id, contact.record.queued_at or now))
        return self._offer_actions(contact, contact.callback_offer.stored(ev.merged, now), now, out)

    def _on_callback_store_failed(
        self, ev: inp.CallbackStoreFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self.contacts.get(ev.contact_id)
        if contact is None or contact.callback_offer is None:
            return
        log.error("could not store the callback of contact %s: %s", contact.id, ev.reason)
        return self._offer_actions(contact, contact.callback_offer.store_failed(now), now, out)

    def _callback_offer_over(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        """Declined or given up: back to the music, in the same place."""
        contact.callback_offer = None
        line = contact.line
        assert line is not None
        if contact.phase in ivr_glue.WAITING:
            out.append(cmd.StartMoh(contact.caller_channel, line.moh_class))
        if not contact.routed and contact.phase is Phase.QUEUED:
            self._route(contact, now)
        if contact.announcer is not None:
            ivr_glue.translate(
                contact.announcer.other_prompt_ended(now), contact, self._by_playback, out
            )
        if line.callbacks is not None and line.callbacks.repeat_offer_s > 0:
            out.append(cmd.StartTimer(("cboffer", contact.id), line.callbacks.repeat_offer_s))

    def _cancel_callback_offer(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> bool:
        """Stop an offer in progress; True if the caller had already accepted it."""
        offer = contact.callback_offer
        if offer is None:
            return False
        accepted = offer.number is not None
        ivr_glue.translate(offer.cancel(now), contact, self._by_playback, out)
        contact.callback_offer = None
        return accepted

    # ------------------------------------------------------------------ placing callbacks

    def _on_callback_due(self, ev: inp.CallbackDue, now: datetime, out: list[cmd.Command]) -> None:
        """A stored callback to place: agent first, like a contact whose caller is not yet on
        the line.  Its age (since the request) is its place among callbacks."""
        line = next((ln for ln in self.config.lines if ln.id == ev.line), None)
        record = ContactRecord(
            id=self._ids("ct"),
            channel_id=self._ids(CITIZEN_LEG),  # the citizen's channel, once dialled
            line=ev.line,
            caller_number=ev.number,
            arrived_at=now,
            line_code=ev.line_code,
            queued_at=now,
        )
        contact = ContactState(
            record=record, line=line, seq=next(self._seq), phase=Phase.QUEUED, priority=ev.priority
        )
        contact.callback = CallbackLeg(ev.callback_id, ev.attempt_seq, ev.number)
        record.kind = ContactKind.CALLBACK
        self.contacts[record.id] = contact
        self._by_channel[record.channel_id] = record.id
        log.info(
            "placing callback %s (attempt %d) to %s as contact %s",
            ev.callback_id,
            ev.attempt_seq,
            ev.number,
            record.id,
        )
        self._emit(contact, ContactEventKind.ARRIVED, now, out)
        self.router.add_contact(
            contact.id,
            ev.line_code,
            now.timestamp(),
            priority=ev.priority,
            waiting_since=ev.requested_at.timestamp(),
        )
        contact.routed = True

    def _whisper(
        self,
        contact: ContactState,
        agent: AgentState,
        leg: str,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """The agent picked up: into a bridge of their own, and told whom they will call."""
        callback = contact.callback
        assert callback is not None
        bridge_id = self._ids("br")
        contact.bridge_id = bridge_id
        playback_id = self._ids("pb")
        contact.playback_id = playback_id
        self._by_playback[playback_id] = contact.id
        lang = contact.line.language if contact.line else None
        media = (*self.config.callback_whisper, *ivr_glue.number_media(callback.number))
        out += [
            cmd.CancelTimer(("ring", leg)),
            cmd.CreateBridge(bridge_id),
            cmd.AddToBridge(bridge_id, (leg,)),
            cmd.Play(leg, media, playback_id, lang),
            cmd.StartTimer(("prompt", contact.id), self.config.prompt_guard_s),
        ]
        self._unroute(contact)
        contact.record.agent_id = agent.id
        agent.missed_in_a_row = 0
        self._close_offer(contact, OfferResult.ANSWERED, None, now)
        self._to_phase(contact, Phase.WHISPER)
        self._set_agent(agent, now, out, activity=Activity.ON_CALL)

    def _dial_citizen(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        callback = contact.callback
        assert callback is not None
        timeout = self.config.callback_ring_timeout_s
        out += [
            cmd.Originate(
                channel_id=contact.caller_channel,
                endpoint=ivr_glue.dial_string(self.config.callback_dial, callback.number),
                app_args=("citizen", contact.id),
                caller_id=self.config.caller_id,
                timeout_s=timeout,
                originator=contact.agent_channel,
            ),
            cmd.StartTimer(("citizen", contact.id), timeout + self.config.ring_guard_slack_s),
        ]
        self._to_phase(contact, Phase.DIALING)

    def _on_citizen_answered(
        self, ev: inp.CitizenAnswered, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._contact_of(ev.channel_id)
        if contact is None or contact.phase is not Phase.DIALING or contact.callback is None:
            log.info(
                "citizen leg %s answered for no callback in progress; hanging up", ev.channel_id
            )
            out.append(cmd.Hangup(ev.channel_id))
            return
        assert contact.bridge_id is not None
        out += [
            cmd.CancelTimer(("citizen", contact.id)),
            cmd.AddToBridge(contact.bridge_id, (ev.channel_id,)),
        ]
        contact.record.answered_at = now
        self._to_phase(contact, Phase.CONNECTED)
        self._emit(contact, ContactEventKind.ANSWERED, now, out)
        self._finish_callback(contact, "answered", out)

    def _citizen_not_reached(
        self, contact: ContactState, result: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        """``result`` is the attempt's ``callbacks.AttemptResult`` value."""
        log.info("callback contact %s: the citizen was not reached (%s)", contact.id, result)
        out.append(cmd.CancelTimer(("citizen", contact.id)))
        self._hang_up_leg_and_bridge(contact, contact.agent_channel, out)
        self._release_agent(contact, now, out, wrap_up=False)
        self._finish_callback(contact, result, out)
        self._end(contact, Outcome.CALLBACK_NOT_REACHED, now, out)

    def _callback_agent_left(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        """The agent hung up before the citizen answered: the attempt did not count against
        the citizen; the callback goes back to the dialer."""
        if contact.phase is Phase.DIALING:
            out.append(cmd.Hangup(contact.caller_channel))
        out.append(cmd.CancelTimer(("citizen", contact.id)))
        self._hang_up_leg_and_bridge(contact, None, out)
        self._release_agent(contact, now, out, wrap_up=False)
        self._finish_callback(contact, "agent_unavailable", out)
        self._end(contact, Outcome.CALLBACK_NOT_REACHED, now, out)

    def _citizen_guard(self, key: tuple[str, ...], now: datetime, out: list[cmd.Command]) -> None:
        contact = self.contacts.get(key[1])
        if contact is not None and contact.phase is Phase.DIALING:
            log.warning("citizen leg of %s outlived its ring timeout; hanging up", contact.id)
            out.append(cmd.Hangup(contact.caller_channel))
            self._citizen_not_reached(contact, "no_answer", now, out)

    def _finish_callback(self, contact: ContactState, result: str, out: list[cmd.Command]) -> None:
        callback = contact.callback
        if callback is None:
            return
        out.append(
            cmd.FinishCallback(
                callback.callback_id,
                callback.attempt_seq,
                contact.record.line or "",
                result,
                contact.record.agent_id,
            )
        )

    def _announce(
        self, contact: ContactState, key: tuple[str, ...], now: datetime, out: list[cmd.Command]
    ) -> None:
        assert contact.announcer is not None
        position = ivr_glue.queue_position(contact, self.contacts.values())
        code = contact.record.line_code or ""
        estimate = estimate_wait(
            position,
            self.available_for(code),
            self._handle_times.mean(code),
            free_agents=self.free_for(code),
        )
        actions = contact.announcer.tick(
            key, now, position, estimate, connecting=contact.phase is Phase.RINGING
        )
        ivr_glue.translate(actions, contact, self._by_playback, out, pause_moh=True)

    def _close_queue(self, line_id: str, now: datetime, out: list[cmd.Command]) -> None:
        """Closing time on a line that closes its queue: who still waits hears the closing
        message; a caller whose agent is already ringing is still served."""
        line = next((ln for ln in self.config.lines if ln.id == line_id), None)
        if line is None:
            return
        for contact in [c for c in self.contacts.values() if c.record.line == line_id]:
            if contact.phase is Phase.QUEUED:
                self._stop_announcements(contact, now, out)
                out.append(cmd.StopMoh(contact.caller_channel))
                self._farewell(contact, Outcome.CLOSED, line.closing_prompt, out)
        self._arm_closing(line, now + timedelta(seconds=1), out)

    def _on_resynced(self, ev: inp.Resynced, now: datetime, out: list[cmd.Command]) -> None:
        """Replay what the lost events would have told us, from what ARI says exists now."""
        for contact in list(self.contacts.values()):
            leg = contact.agent_channel
            undialled = contact.callback is not None and contact.phase not in _CITIZEN_DIALLED
            if contact.caller_channel not in ev.live and not undialled:
                self._caller_gone(contact, now, out)
            elif leg is not None and leg not in ev.live:
                self._agent_leg_gone(contact, None, now, out)
            elif leg is not None and contact.phase is Phase.RINGING and leg in ev.up_in_app:
                self._on_leg_answered(inp.AgentLegAnswered(leg), now, out)

    # ------------------------------------------------------------------ agents

    def _agent(self, agent_id: str) -> AgentState:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _on_login(self, ev: inp.AgentLogin, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agent(ev.agent_id)
        if agent.presence is not Presence.LOGGED_OUT:
            return  # logging in twice is harmless
        self._set_agent(agent, now, out, presence=Presence.AVAILABLE, idle_since=now)
        return

    def _on_logout(self, ev: inp.AgentLogout, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agent(ev.agent_id)
        if agent.presence is not Presence.LOGGED_OUT:
            # A call in progress goes on; presence only governs new offers.
            self._set_agent(agent, now, out, presence=Presence.LOGGED_OUT)

    def _on_set_presence(self, ev: inp.SetPresence, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agent(ev.agent_id)
        if ev.presence is Presence.LOGGED_OUT:
            return self._on_logout(inp.AgentLogout(ev.agent_id), now, out)
        if agent.presence is Presence.LOGGED_OUT:
            raise RefusedTransition("agent_logged_out", f"agent {agent.id} must log in first")
        if ev.presence is Presence.AVAILABLE:
            if ev.reason is not None:
                raise RefusedTransition("invalid_reason", "available takes no reason")
            if agent.presence is Presence.AVAILABLE:
                return
            self._set_agent(agent, now, out, presence=Presence.AVAILABLE, idle_since=now)
            return
        if ev.reason not in self.config.presence_reasons:
            allowed = ", ".join(sorted(self.config.presence_reasons))
            raise RefusedTransition(
                "invalid_reason", f"not available needs a reason, one of: {allowed}"
            )
        self._set_agent(agent, now, out, presence=Presence.NOT_AVAILABLE, reason=ev.reason)
        return

    def _release_agent(
        self, contact: ContactState, now: datetime, out: list[cmd.Command], *, wrap_up: bool
    ) -> None:
        agent = self.agents[contact.agent_id or ""]
        self._by_channel.pop(contact.agent_channel or "", None)
        self._forget(contact.agent_channel)
        contact.agent_id = None
        contact.agent_channel = None
        agent.contact_id = None
        if wrap_up and self.config.wrap_up_s > 0:
            self._set_agent(agent, now, out, activity=Activity.WRAP_UP)
            out.append(cmd.StartTimer(("wrap_up", agent.id), self.config.wrap_up_s))
        elif wrap_up:
            self._set_agent(agent, now, out, activity=Activity.IDLE, idle_since=now)
        else:
            # A ring that came to nothing: the agent keeps their place in the idle order.
            self._set_agent(agent, now, out, activity=Activity.IDLE)

    def _set_agent(
        self,
        agent: AgentState,
        now: datetime,
        out: list[cmd.Command],
        *,
        presence: Presence | None = None,
        activity: Activity | None = None,
        reason: str | None = None,
        idle_since: datetime | None = None,
    ) -> None:
        before = (agent.presence, agent.activity, agent.reason)
        if presence is not None:  # a reason goes with a presence and only with one
            agent.presence = presence
            agent.reason = reason
        if activity is not None:
            agent.activity = activity
        if idle_since is not None:
            agent.idle_since = idle_since
        self._sync_router(agent, now)
        if (agent.presence, agent.activity, agent.reason) == before:
            return
        log.info(
            "agent %s: %s/%s -> %s/%s%s",
            agent.id,
            before[0],
            before[1],
            agent.presence,
            agent.activity,
            f" ({agent.reason})" if agent.reason else "",
        )
        out.append(
            cmd.Emit(
                AgentEvent(
                    agent.id,
                    now,
                    agent.presence,
                    agent.activity,
                    agent.reason,
                    before[0],
                    before[1],
                )
            )
        )

    # ------------------------------------------------------------------ routing

    def _sync_router(self, agent: AgentState, now: datetime) -> None:
        """Tell the router what an agent's presence and activity now mean for offers."""
        logged_in = agent.presence is not Presence.LOGGED_OUT
        if logged_in != agent.logged_in:
            agent.logged_in = logged_in
            self.router.set_logged_in(agent.id, logged_in)
            agent.offerable = False  # logging in or out leaves the agent busy in the router
        offerable = agent.presence is Presence.AVAILABLE and agent.activity is Activity.IDLE
        if offerable and not agent.offerable:
            self._roll_day(agent, now)
            not_before = agent.not_before.timestamp() if agent.not_before else None
            self.router.agent_free(agent.id, now.timestamp(), agent.routing_stats(now), not_before)
        elif agent.offerable and not offerable:
            self.router.agent_busy(agent.id)
        agent.offerable = offerable
        agent.not_before = None
        self._recount(agent)

    def _recount(self, agent: AgentState) -> None:
        available = agent.presence is Presence.AVAILABLE
        free = available and agent.activity is Activity.IDLE
        if (available, free) == (agent.counted_available, agent.counted_free):
            return
        for code in agent.config.line_codes:
            self._available[code] += available - agent.counted_available
            self._free[code] += free - agent.counted_free
        agent.counted_available, agent.counted_free = available, free

    @staticmethod
    def _roll_day(agent: AgentState, now: datetime) -> None:
        today = now.astimezone(_LOCAL).date()
        if agent.stats_day != today:
            agent.stats_day = today
            agent.contacts_today = 0
            agent.talk_time_today_s = 0.0

    def _route(self, contact: ContactState, now: datetime) -> None:
        """Into the router, at the place its queue time gives it (kept across re-routing)."""
        queued_at = contact.record.queued_at or now
        self.router.add_contact(
            contact.id,
            contact.record.line_code or "",
            now.timestamp(),
            priority=contact.priority,
            waiting_since=queued_at.timestamp(),
        )
        contact.routed = True

    def _unroute(self, contact: ContactState) -> None:
        if contact.routed:
            contact.routed = False
            self.router.remove_contact(contact.id)

    def _dispatch(self, now: datetime, out: list[cmd.Command]) -> None:
        """Make every offer the router finds possible now, and keep its one timer armed."""
        t = now.timestamp()
        for match in self.router.match(t):
            self._offer(
                self.contacts[match.contact_id], self.agents[match.agent_id], match, now, out
            )
        deadline = self.router.next_deadline()
        if deadline != self._route_deadline:
            self._route_deadline = deadline
            if deadline is None:
                out.append(cmd.CancelTimer(("route", "")))
            else:
                out.append(cmd.StartTimer(("route", ""), max(0.0, deadline - t)))

    def _offer(
        self,
        contact: ContactState,
        agent: AgentState,
        match: Match,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        channel_id = self._ids(AGENT_LEG)
        contact.agent_id = agent.id
        contact.agent_channel = channel_id
        agent.contact_id = contact.id
        self._by_channel[channel_id] = contact.id
        record = contact.record
        record.offers.append(Offer(agent_id=agent.id, offered_at=now))
        if record.offered_at is None:
            record.offered_at = now
        contact.priority = match.priority
        agent.last_offered_seq = next(self._offers_made)
        log.info(
            "offering contact %s (%s, priority %d) to agent %s via %s: step %d, policy %s, rank %s",
            contact.id,
            record.line_code,
            match.priority,
            agent.id,
            match.via_line_code,
            match.step_index,
            match.policy,
            match.rank,
        )
        self._to_phase(contact, Phase.RINGING)
        self._set_agent(agent, now, out, activity=Activity.RESERVED)
        out += [
            cmd.Originate(
                channel_id=channel_id,
                endpoint=agent.config.endpoint,
                app_args=("agent", agent.id, contact.id),
                caller_id=self.config.caller_id,
                timeout_s=self.config.ring_timeout_s,
                # A callback's citizen is dialled only once the agent is on the line.
                originator=None if contact.callback else contact.caller_channel,
            ),
            cmd.StartTimer(
                ("ring", channel_id), self.config.ring_timeout_s + self.config.ring_guard_slack_s
            ),
        ]
        self._emit(contact, ContactEventKind.OFFERED, now, out)

    # ------------------------------------------------------------------ helpers

    def _contact_of(self, channel_id: str) -> ContactState | None:
        contact_id = self._by_channel.get(channel_id)
        return self.contacts.get(contact_id) if contact_id else None

    def _play(
        self,
        contact: ContactState,
        media: tuple[str, ...],
        lang: str | None,
        out: list[cmd.Command],
    ) -> None:
        playback_id = self._ids("pb")
        contact.playback_id = playback_id
        self._by_playback[playback_id] = contact.id
        out.append(cmd.Play(contact.caller_channel, media, playback_id, lang))
        out.append(cmd.StartTimer(("prompt", contact.id), self.config.prompt_guard_s))

    def _close_offer(
        self, contact: ContactState, result: OfferResult, cause: int | None, now: datetime
    ) -> None:
        offer = contact.record.offers[-1]
        offer.result = result
        offer.ended_at = now
        offer.cause = cause

    def _hang_up_leg_and_bridge(
        self, contact: ContactState, other: str | None, out: list[cmd.Command]
    ) -> None:
        if other is not None:
            out.append(cmd.Hangup(other))
        if contact.bridge_id is not None:
            out.append(cmd.DestroyBridge(contact.bridge_id))
            contact.bridge_id = None

    def _end(
        self, contact: ContactState, outcome: Outcome, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.playback_id is not None:
            self._by_playback.pop(contact.playback_id, None)
            out.append(cmd.CancelTimer(("prompt", contact.id)))
        if contact.menu is not None:
            ivr_glue.translate(contact.menu.cancel(now), contact, self._by_playback, out)
            contact.menu = None
        self._stop_announcements(contact, now, out)
        if self._cancel_callback_offer(contact, now, out) and outcome is Outcome.ABANDONED:
            outcome = Outcome.CALLBACK_REQUESTED  # hung up during the confirmation: still owed
        self._unroute(contact)
        contact.record.outcome = outcome
        contact.record.ended_at = now
        answered_by = self.agents.get(contact.record.agent_id or "")
        if answered_by is not None and contact.record.answered_at is not None:
            self._roll_day(answered_by, now)
            answered_by.talk_time_today_s += (now - contact.record.answered_at).total_seconds()
        handled = ivr_glue.handle_seconds(contact.record, self.config.wrap_up_s)
        if handled is not None and contact.record.line_code:
            self._handle_times.add(contact.record.line_code, handled)
        if outcome is Outcome.ABANDONED:
            self._remember_for_rejoin(contact, now)
        self._to_phase(contact, Phase.ENDED)
        self._emit(contact, ContactEventKind.ENDED, now, out)
        self._by_channel.pop(contact.caller_channel, None)
        self._forget(contact.caller_channel)
        del self.contacts[contact.id]

    def _stop_announcements(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.announcer is not None:
            ivr_glue.translate(contact.announcer.stop(now), contact, self._by_playback, out)
            contact.announcer = None

    def _forget(self, channel_id: str | None) -> None:
        if channel_id is None:
            return
        if len(self._ended_channels) == self._ended_channels.maxlen:
            self._ended_set.discard(self._ended_channels[0])
        self._ended_channels.append(channel_id)
        self._ended_set.add(channel_id)

    def _to_phase(self, contact: ContactState, phase: Phase) -> None:
        log.debug("contact %s: %s -> %s", contact.id, contact.phase, phase)
        contact.phase = phase

    def _emit(
        self,
        contact: ContactState,
        kind: ContactEventKind,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        out.append(cmd.Emit(ContactEvent(kind, now, contact.record.snapshot())))


_TimerHandler = Callable[[EngineCore, tuple[str, ...], datetime, list[cmd.Command]], None]
# Timer keys are (kind, subject, ...): the kind says which part of the core it belongs to.
_TIMERS: dict[str, _TimerHandler] = {
    "menu": EngineCore._contact_timer,
    "announce": EngineCore._contact_timer,
    "cboffer": EngineCore._contact_timer,
    "cbo": EngineCore._contact_timer,
    "close": EngineCore._close_timer,
    "route": EngineCore._route_timer,
    "prompt": EngineCore._prompt_guard,
    "ring": EngineCore._ring_guard,
    "wrap_up": EngineCore._wrap_up_over,
    "citizen": EngineCore._citizen_guard,
}
_CITIZEN_DIALLED = (Phase.DIALING, Phase.CONNECTED)
# How a citizen's leg that never answered ended (Q.850 cause) -> the attempt's result.
_CITIZEN_RESULT = {17: "busy", 21: "busy", 19: "no_answer", 18: "no_answer"}

_Handler = Callable[[EngineCore, inp.Input, datetime, list[cmd.Command]], None]
_HANDLERS: dict[type, _Handler] = {
    inp.CallArrived: EngineCore._on_call_arrived,  # type: ignore[dict-item]
    inp.AgentLegRinging: EngineCore._on_leg_ringing,  # type: ignore[dict-item]
    inp.AgentLegAnswered: EngineCore._on_leg_answered,  # type: ignore[dict-item]
    inp.ChannelGone: EngineCore._on_channel_gone,  # type: ignore[dict-item]
    inp.ChannelMissing: EngineCore._on_channel_missing,  # type: ignore[dict-item]
    inp.PlaybackDone: EngineCore._on_playback_done,  # type: ignore[dict-item]
    inp.DtmfReceived: EngineCore._on_dtmf,  # type: ignore[dict-item]
    inp.TimerFired: EngineCore._on_timer,  # type: ignore[dict-item]
    inp.CallbackStored: EngineCore._on_callback_stored,  # type: ignore[dict-item]
    inp.CallbackDue: EngineCore._on_callback_due,  # type: ignore[dict-item]
    inp.CitizenAnswered: EngineCore._on_citizen_answered,  # type: ignore[dict-item]
    inp.CallbackStoreFailed: EngineCore._on_callback_store_failed,  # type: ignore[dict-item]
    inp.OriginateFailed: EngineCore._on_originate_failed,  # type: ignore[dict-item]
    inp.Resynced: EngineCore._on_resynced,  # type: ignore[dict-item]
    inp.AgentLogin: EngineCore._on_login,  # type: ignore[dict-item]
    inp.AgentLogout: EngineCore._on_logout,  # type: ignore[dict-item]
    inp.SetPresence: EngineCore._on_set_presence,  # type: ignore[dict-item]
}
