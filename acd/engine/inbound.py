"""Inbound: a caller's way from arrival to the queue, and what they hear while they wait.

Arrival (unknown line, opening hours and the closed message), the welcome prompt, the menu,
queueing (with the no-agents rule and rejoining an earlier place), announcements, closing
time, and the callback *offer* dialogue (asking, storing, confirming).  The IVR dialogues are
the sans-I/O machines of ``ivr/``, held on the contact; this part feeds them their inputs and
acts on how they end.  Ringing an agent and the bridged call are :mod:`acd.engine.offers`'.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import ivr_glue, legs
from acd.engine.agents import AgentBook
from acd.engine.contacts import (
    WAITING,
    ContactState,
    ContactTable,
    IdFactory,
    Phase,
    Prompt,
    Trigger,
)
from acd.engine.model import EngineConfig, LineConfig, NoAgentsAction
from acd.engine.offer_user import OfferUser
from acd.engine.offers import Offers
from acd.engine.timers import TimerKey, TimerKind
from callbacks.schedule import due_by
from foundation.calendars import StatusCache, next_close
from foundation.contact import ContactEventKind, ContactRecord, Outcome
from ivr.actions import Done
from ivr.announcements import AnnouncementScheduler
from ivr.callback_offer import Accepted, BackToQueue, CallbackOffer, Declined, Finished
from ivr.menu import Menu
from ivr.prompts import closed_media
from sla.wait_estimate import estimate_wait

log = logging.getLogger(__name__)

_ASK_LATER_S = 15.0  # an agent is ringing when the callback offer is due: ask this much later


class Inbound(OfferUser):
    def __init__(
        self,
        config: EngineConfig,
        ids: IdFactory,
        agents: AgentBook,
        table: ContactTable,
        offers: Offers,
    ) -> None:
        super().__init__(config, ids, agents, table, offers)
        # Each line's status is computed once per change (open, closed, reason), not per call.
        self._hours = StatusCache()

    # ------------------------------------------------------------------ arrival

    def arrived(self, ev: inp.CallArrived, now: datetime, out: list[cmd.Command]) -> None:
        if self._table.knows_channel(ev.channel_id):
            return  # duplicate StasisStart (e.g. subscribed twice): already handled
        call = legs.InboundCall(ev.args)
        line = self._config.line_for(call.line, ev.exten)
        arrived_at = now if ev.arrived_at is None else min(ev.arrived_at, now)
        record = ContactRecord(
            id=self._ids("ct"),
            channel_id=ev.channel_id,
            line=line.id if line else None,
            caller_number=ev.caller_number,
            arrived_at=arrived_at,
        )
        contact = self._table.add(record, line)
        if ev.arrived_at is not None:
            contact.waiting_since = arrived_at
        if not ev.up:
            out.append(cmd.Answer(ev.channel_id))
        if line is None:
            log.warning(
                "unknown line for channel %s: Stasis args %s, dialled %r; refusing politely",
                ev.channel_id,
                list(ev.args),
                ev.exten,
            )
            self._farewell(contact, Outcome.UNKNOWN_LINE, self._config.unknown_line_prompt, out)
            return
        record.line_code = _line_code_hint(line, call.line_code)
        self._table.emit(contact, ContactEventKind.ARRIVED, now, out)
        self._greet(contact, line, now, out)

    def resume(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """A caller still in the app after a restart, with no agent (a contact just taken up,
        in phase QUEUED if it was queued, else WELCOME): back in the queue at their place with
        their wait, or welcomed again."""
        line = contact.line
        assert line is not None
        record = contact.record
        if contact.phase is Phase.WELCOME or record.queued_at is None:
            self._greet(contact, line, now, out)
            return
        log.info("contact %s: back in the queue, waiting since %s", contact.id, record.queued_at)
        self._table.route(contact, now, record.queued_at)
        # The music may have been paused for a prompt when the engine stopped.
        out.append(cmd.StartMoh(contact.caller_channel, line.moh_class))
        self._while_waiting(contact, now, out)

    def resume_dialogues(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        """After a restart, for a caller whose agent still rings: what they hear meanwhile."""
        self._while_waiting(contact, now, out)

    def _greet(
        self, contact: ContactState, line: LineConfig, now: datetime, out: list[cmd.Command]
    ) -> None:
        """Opening hours, then the welcome (or straight on)."""
        record = contact.record
        if line.calendar is not None:
            hours = self._hours.status(line.calendar, now)
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
        welcome = (*line.recording.announce, *line.welcome)  # "may be recorded" first
        if welcome:
            self._table.play(contact, contact.caller_channel, welcome, Prompt.PROMPT, out)
            return
        self._after_welcome(contact, now, out)

    def _farewell(
        self,
        contact: ContactState,
        outcome: Outcome,
        media: tuple[str, ...],
        out: list[cmd.Command],
    ) -> None:
        """A last message, then hang up; the contact ends with ``outcome``."""
        self._table.unroute(contact)
        contact.farewell = outcome
        self._table.to_phase(contact, Phase.FAREWELL)
        if media:
            self._table.play(contact, contact.caller_channel, media, Prompt.PROMPT, out)
        else:
            out.append(cmd.Hangup(contact.caller_channel))

    def _after_welcome(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        assert contact.line is not None
        if contact.line.menu is None:
            return self._enqueue(contact, now, out)
        self._table.to_phase(contact, Phase.MENU)
        contact.menu = Menu(contact.line.menu, self._ids, key=())
        return self._menu_actions(contact, contact.menu.start(now), now, out)

    def _menu_actions(
        self, contact: ContactState, actions: list[Any], now: datetime, out: list[cmd.Command]
    ) -> None:
        done = ivr_glue.translate(actions, contact, self._table, Prompt.MENU, out)
        if not isinstance(done, Done) or not contact.accepts(Trigger.MENU_CHOICE):
            return
        log.info("contact %s chose %s in the menu (%s)", contact.id, done.line_code, done.reason)
        contact.record.line_code = done.line_code
        contact.menu = None
        return self._enqueue(contact, now, out)

    # ------------------------------------------------------------------ the caller's inputs

    def playback_done(
        self,
        contact: ContactState,
        owner: Prompt,
        playback_id: str,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        if owner is Prompt.PROMPT:
            if contact.playback_id == playback_id:
                self._prompt_finished(contact, now, out)
        elif owner is Prompt.MENU and contact.menu is not None:
            choice = contact.menu.playback_finished(playback_id, now)
            self._menu_actions(contact, choice, now, out)
        elif owner is Prompt.CALLBACK_OFFER and contact.callback_offer is not None:
            dialogue = contact.callback_offer.playback_finished(playback_id, now)
            self._offer_actions(contact, dialogue, now, out)
        elif owner is Prompt.ANNOUNCEMENT and contact.announcer is not None:
            said = contact.announcer.playback_finished(playback_id, now)
            ivr_glue.translate(said, contact, self._table, Prompt.ANNOUNCEMENT, out)
            if contact.phase in WAITING and contact.line is not None:
                out.append(cmd.StartMoh(contact.caller_channel, contact.line.moh_class))

    def _prompt_finished(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        self._table.prompt_over(contact, Prompt.PROMPT, out)
        if contact.phase is Phase.FAREWELL:
            out.append(cmd.Hangup(contact.caller_channel))
        elif contact.phase is Phase.WELCOME:
            self._after_welcome(contact, now, out)

    def dtmf(self, ev: inp.DtmfReceived, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._table.of_channel(ev.channel_id)
        if contact is None or ev.channel_id != contact.caller_channel:
            return
        if contact.menu is not None and contact.phase is Phase.MENU:
            return self._menu_actions(contact, contact.menu.digit(ev.digit, now), now, out)
        if contact.callback_offer is not None:
            actions = contact.callback_offer.digit(ev.digit, now)
            return self._offer_actions(contact, actions, now, out)
        # Digits outside a dialogue mean nothing.

    def caller_gone(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        self._offers.drop_caller(contact, now, out)

    def timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        if key.kind is TimerKind.CLOSE:
            return self._close_queue(key.subject, now, out)
        contact = self._table.get(key.subject)
        if contact is None:
            return None
        match key.kind:
            case TimerKind.PROMPT if contact.playback_id is not None:
                log.warning("prompt for contact %s never finished; moving on", contact.id)
                self._prompt_finished(contact, now, out)
            case TimerKind.MENU if contact.menu is not None:
                self._menu_actions(contact, contact.menu.timer(key.sub, now), now, out)
            case TimerKind.ANNOUNCE if contact.announcer is not None:
                self._announce(contact, key.sub, now, out)
            case TimerKind.CALLBACK_OFFER_DUE:
                self._start_callback_offer(contact, now, out)
            case TimerKind.CALLBACK_DIALOGUE if contact.callback_offer is not None:
                actions = contact.callback_offer.timer(key.sub, now)
                self._offer_actions(contact, actions, now, out)
        return None

    # ------------------------------------------------------------------ the queue

    def _enqueue(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        line = contact.line
        assert line is not None
        record = contact.record
        if not self._agents.available_for(record.line_code or ""):
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
        record.queued_at = self._table.rejoined_at(contact, now) or contact.waiting_since or now
        self._table.to_phase(contact, Phase.QUEUED)
        self._table.route(contact, now, record.queued_at)
        out.append(cmd.StartMoh(contact.caller_channel, line.moh_class))
        self._table.emit(contact, ContactEventKind.QUEUED, now, out)
        self._while_waiting(contact, now, out)

    def _while_waiting(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """The callback offer, due after the line's wait, and the announcements."""
        line = contact.line
        record = contact.record
        assert line is not None
        assert record.queued_at is not None
        if line.callbacks is not None:
            waited = (now - record.queued_at).total_seconds()  # a rejoined caller waited before
            delay = max(0.0, line.callbacks.offer_after_s - waited)
            out.append(cmd.StartTimer(TimerKey(TimerKind.CALLBACK_OFFER_DUE, contact.id), delay))
        if line.announcements is not None:
            contact.announcer = AnnouncementScheduler(
                line.announcements, self._ids, key=(), last_prompt_at=now
            )
            actions = contact.announcer.start(now)
            ivr_glue.translate(actions, contact, self._table, Prompt.ANNOUNCEMENT, out)

    def _announce(
        self, contact: ContactState, key: tuple[str, ...], now: datetime, out: list[cmd.Command]
    ) -> None:
        assert contact.announcer is not None
        position = self._table.queue_position(contact)
        code = contact.record.line_code or ""
        estimate = estimate_wait(
            position,
            self._agents.available_for(code),
            self._table.handle_times.mean(code),
            free_agents=self._agents.free_for(code),
        )
        actions = contact.announcer.tick(
            key, now, position, estimate, connecting=contact.phase is Phase.RINGING
        )
        ivr_glue.translate(actions, contact, self._table, Prompt.ANNOUNCEMENT, out, pause_moh=True)

    # ------------------------------------------------------------------ closing time

    def arm_closing(self, line: LineConfig, now: datetime, out: list[cmd.Command]) -> None:
        if not line.close_queue_at_closing or line.calendar is None:
            return
        closes = next_close(line.calendar, now)
        if closes is not None:
            delay = max(0.0, (closes - now).total_seconds())
            out.append(cmd.StartTimer(TimerKey(TimerKind.CLOSE, line.id), delay))

    def _close_queue(self, line_id: str, now: datetime, out: list[cmd.Command]) -> None:
        """Closing time on a line that closes its queue: who still waits hears the closing
        message; a caller whose agent is already ringing is still served."""
        line = next((ln for ln in self._config.lines if ln.id == line_id), None)
        if line is None:
            return
        for contact in [c for c in self._table.contacts.values() if c.record.line == line_id]:
            if contact.phase is Phase.QUEUED:  # one already ringing is still served
                self._table.stop_dialogues(contact, now, out)
                out.append(cmd.StopMoh(contact.caller_channel))
                self._farewell(contact, Outcome.CLOSED, line.closing_prompt, out)
        self.arm_closing(line, now + timedelta(seconds=1), out)

    # ------------------------------------------------------------------ callback offer

    def _start_callback_offer(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        rule = contact.line.callbacks if contact.line else None
        if rule is None or contact.callback_offer is not None:
            return
        if contact.phase is Phase.RINGING:
            # An agent is about to answer: offering now would only be cut off.  Ask later.
            key = TimerKey(TimerKind.CALLBACK_OFFER_DUE, contact.id)
            out.append(cmd.StartTimer(key, _ASK_LATER_S))
            return
        if contact.phase is not Phase.QUEUED:
            return
        log.info(
            "contact %s waited %.0f s: offering a callback",
            contact.id,
            (now - (contact.record.queued_at or now)).total_seconds(),
        )
        if contact.announcer is not None:
            actions = contact.announcer.other_prompt_started(now)
            ivr_glue.translate(actions, contact, self._table, Prompt.ANNOUNCEMENT, out)
        contact.callback_offer = CallbackOffer(
            rule.offer, self._ids, key=(), caller_id=contact.record.caller_number
        )
        self._table.emit(contact, ContactEventKind.CALLBACK_OFFERED, now, out)
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
        ending = ivr_glue.translate(
            actions, contact, self._table, Prompt.CALLBACK_OFFER, out, pause_moh=pause_moh
        )
        match ending:
            case Accepted(number_e164=number):
                self._store_callback(contact, number, now, out)
            case Finished():
                contact.callback_offer = None
                self._farewell(contact, Outcome.CALLBACK_REQUESTED, (), out)
            case Declined() | BackToQueue():
                log.info("contact %s keeps waiting (%s)", contact.id, ending)
                self._callback_offer_over(contact, now, out)

    def _store_callback(
        self, contact: ContactState, number: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        line = contact.line
        assert line is not None
        assert line.callbacks is not None
        # Out of the queue while we store: no agent must be rung for a caller who is leaving,
        # and one already ringing is released (it was not their miss).
        if contact.phase is Phase.RINGING:
            self._offers.cancel_ring(contact, now, out)
        self._table.unroute(contact)
        due = (
            due_by(line.calendar, now, line.callbacks.working_days)
            if line.calendar is not None
            else now + timedelta(days=line.callbacks.working_days)
        )
        out.append(
            cmd.StoreCallback(contact.id, number, line.id, contact.record.line_code or "", now, due)
        )

    def callback_stored(
        self, ev: inp.CallbackStored, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._table.get(ev.contact_id)
        if contact is None or contact.callback_offer is None:
            return  # the caller hung up meanwhile: the callback is stored all the same
        log.info(
            "callback %s stored for contact %s%s",
            ev.callback_id,
            contact.id,
            " (merged with a pending one)" if ev.merged else "",
        )
        self._table.emit(contact, ContactEventKind.CALLBACK_REQUESTED, now, out)
        rule = contact.line.callbacks if contact.line else None
        if rule is not None and rule.virtual_hold and not ev.merged:
            out.append(cmd.PlaceCallbackNow(ev.callback_id, contact.record.queued_at or now))
        actions = contact.callback_offer.stored(ev.merged, now)
        self._offer_actions(contact, actions, now, out)

    def callback_store_failed(
        self, ev: inp.CallbackStoreFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._table.get(ev.contact_id)
        if contact is None or contact.callback_offer is None:
            return
        log.error("could not store the callback of contact %s: %s", contact.id, ev.reason)
        self._offer_actions(contact, contact.callback_offer.store_failed(now), now, out)

    def _callback_offer_over(
        self, contact: ContactState, now: datetime, out: list[cmd.Command]
    ) -> None:
        """Declined or given up: back to the music, in the same place."""
        contact.callback_offer = None
        line = contact.line
        assert line is not None
        if contact.phase in WAITING:
            out.append(cmd.StartMoh(contact.caller_channel, line.moh_class))
        if not contact.routed and contact.phase is Phase.QUEUED:
            self._table.route(contact, now, contact.record.queued_at or now)
        if contact.announcer is not None:
            actions = contact.announcer.other_prompt_ended(now)
            ivr_glue.translate(actions, contact, self._table, Prompt.ANNOUNCEMENT, out)
        if line.callbacks is not None and line.callbacks.repeat_offer_s > 0:
            key = TimerKey(TimerKind.CALLBACK_OFFER_DUE, contact.id)
            out.append(cmd.StartTimer(key, line.callbacks.repeat_offer_s))


def _line_code_hint(line: LineConfig, named: str | None) -> str:
    # The dialplan may name the line code directly; only one of the line's counts.
    return named if named is not None and named in line.line_codes else line.default_line_code
