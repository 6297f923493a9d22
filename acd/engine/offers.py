"""Offers: what the router matches becomes an agent's phone ringing, and then a bridged call or
an offer that came to nothing.

It owns the agent legs (from origination to the end of an inbound call's bridge), the ring
guard, the router's one deadline timer, and the bookkeeping of each offer on the contact's
record.  The agent's own state changes go through the agent book; the contact's phase through
the contact table.
"""

from __future__ import annotations

import logging
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.agent_state import AgentState, Handled, check_move
from acd.engine.agents import AgentBook
from acd.engine.contacts import ContactState, ContactTable, IdFactory, Phase, Trigger
from acd.engine.model import EngineConfig
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import Activity, ContactEventKind, Offer, OfferResult, Outcome
from foundation.errors import IllegalTransition
from skills import InvalidRoutingTransition, Match, Router

log = logging.getLogger(__name__)

# Q.850 causes seen on agent legs that never answered (see shared/asterisk/README.md).
_CAUSE_RESULT = {17: OfferResult.BUSY, 21: OfferResult.REJECTED, 19: OfferResult.NO_ANSWER}
_ROUTE = TimerKey(TimerKind.ROUTE)


class Offers:
    def __init__(
        self,
        config: EngineConfig,
        ids: IdFactory,
        router: Router,
        agents: AgentBook,
        table: ContactTable,
    ) -> None:
        self._config = config
        self._ids = ids
        self._router = router
        self._agents = agents
        self._table = table
        self._route_deadline: float | None = None
        # Paused while the shared state cannot be reached (acd.state.node): no reservation
        # can be made, and this node's lease may lapse; contacts keep queueing meanwhile.
        self.paused = False

    # ------------------------------------------------------------------ routing

    def dispatch(self, now: datetime, out: list[cmd.Command]) -> None:
        """Make every offer the router finds possible now, and keep its one timer armed."""
        t = now.timestamp()
        if self.paused:
            return
        for match in self._router.match(t):
            contact = self._table.get(match.contact_id)
            agent = self._agents.agents[match.agent_id]
            assert contact is not None
            self._offer(contact, agent, match, now, out)
        deadline = self._router.next_deadline()
        if deadline != self._route_deadline:
            self._route_deadline = deadline
            if deadline is None:
                out.append(cmd.CancelTimer(_ROUTE))
            else:
                out.append(cmd.StartTimer(_ROUTE, max(0.0, deadline - t)))

    def _offer(
        self,
        contact: ContactState,
        agent: AgentState,
        match: Match,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        check_move(agent, None, Activity.RESERVED)  # refused here, before anything changes
        if not contact.may(Phase.RINGING):
            raise IllegalTransition(f"contact {contact.id}: {contact.phase} -> ringing")
        channel_id = legs.leg_id(legs.AGENT_PREFIX, self._ids(legs.AGENT_PREFIX), contact.id)
        contact.agent_id = agent.id
        contact.agent_channel = channel_id
        self._table.add_leg(contact, channel_id)
        record = contact.record
        record.offers.append(Offer(agent_id=agent.id, offered_at=now))
        if record.offered_at is None:
            record.offered_at = now
        contact.priority = match.priority
        self._agents.reserve(agent, contact.id, now, out)
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
        self._table.to_phase(contact, Phase.RINGING)
        out.append(
            cmd.Originate(
                channel_id=channel_id,
                endpoint=agent.config.endpoint,
                app_args=legs.agent_leg_args(agent.id, contact.id),
                caller_id=self._config.caller_id,
                timeout_s=self._config.ring_timeout_s,
                # A callback's citizen is dialled only once the agent is on the line.
                originator=None if contact.callback else contact.caller_channel,
            )
        )
        if contact.callback is None and contact.bridge_id is None:
            # The mixing bridge is ready while the agent's phone rings (a kept one, else made
            # now), so that their answer costs one addChannel (both channels) rather than
            # three requests in a row.  The caller stays on hold outside it until then.  Asked
            # after the originate: the runtime sends the two at once (other resources), the
            # agent's phone first.
            self._table.take_bridge(contact, out)
        out.append(
            cmd.StartTimer(
                TimerKey(TimerKind.RING, channel_id),
                self._config.ring_timeout_s + self._config.ring_guard_slack_s,
            )
        )
        self._table.emit(contact, ContactEventKind.OFFERED, now, out)

    def timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        if key.kind is TimerKind.ROUTE:
            self._route_deadline = None  # fired: dispatch re-arms it for the next deadline
            return
        contact = self._table.of_channel(key.subject)
        if contact is None or contact.agent_channel != key.subject:
            return
        if contact.accepts(Trigger.OFFER_FAILED):
            log.warning("agent leg %s outlived its ring timeout; hanging up", key.subject)
            out.append(cmd.Hangup(key.subject))
            self.offer_failed(contact, OfferResult.NO_ANSWER, None, now, out)

    # ------------------------------------------------------------------ after a restart

    def resume_ringing(
        self,
        contact: ContactState,
        agent: AgentState,
        channel_id: str,
        rang_since: datetime,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """The agent's phone still rings for this caller (a contact just taken up in phase
        RINGING, an idle agent): the offer goes on where it was, the ring guard counting from
        when the leg was made."""
        self._agents.resume(agent, contact.id, Activity.RINGING, now, out)
        record = contact.record
        last = record.offers[-1] if record.offers else None
        if last is None or last.result is not None or last.agent_id != agent.id:
            record.offers.append(Offer(agent_id=agent.id, offered_at=rang_since))
        record.offered_at = record.offered_at or rang_since
        contact.agent_id = agent.id
        contact.agent_channel = channel_id
        self._table.add_leg(contact, channel_id)
        self._router.add_offered(
            contact.id,
            record.line_code or "",
            agent.id,
            now.timestamp(),
            priority=contact.priority,
            waiting_since=(record.queued_at or record.arrived_at).timestamp(),
        )
        contact.routed = True
        rung_s = (now - rang_since).total_seconds()
        guard = self._config.ring_timeout_s + self._config.ring_guard_slack_s - rung_s
        out.append(cmd.StartTimer(TimerKey(TimerKind.RING, channel_id), max(0.0, guard)))

    def resume_connected(
        self,
        contact: ContactState,
        agent: AgentState,
        channel_id: str,
        bridge_id: str,
        bridged_at: datetime,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """Caller and agent are still talking in the contact's bridge (a contact just taken up
        in phase CONNECTED, an idle agent): the agent is on call again, and the contact ends as
        any answered one, talk time from the original answer."""
        self._agents.resume(agent, contact.id, Activity.ON_CALL, now, out)
        record = contact.record
        # Held for this contact until the agent is free again, as after any answer: with
        # several nodes no other node may reserve an agent talking here (after a take-over,
        # the reservation handed over from the node this engine replaces).
        try:
            self._router.add_offered(
                contact.id,
                record.line_code or "",
                agent.id,
                now.timestamp(),
                waiting_since=(record.queued_at or record.arrived_at).timestamp(),
            )
            self._router.remove_contact(contact.id)
        except InvalidRoutingTransition as refused:
            log.error("contact %s: agent %s talks here, but %s", contact.id, agent.id, refused)
        contact.agent_id = agent.id
        contact.agent_channel = channel_id
        contact.bridge_id = bridge_id
        # Who else an earlier run let in (a recorder, a barging supervisor) is not known here:
        # the bridge goes with the call rather than being kept for another.
        contact.bridge_shared = True
        self._table.add_leg(contact, channel_id)
        if record.offers and record.offers[-1].result is None:
            self.close_offer(contact, OfferResult.ANSWERED, None, record.answered_at or bridged_at)
        if record.answered_at is None:  # the answer was not written before the crash
            record.answered_at = bridged_at
            record.agent_id = agent.id
            self._table.emit(contact, ContactEventKind.ANSWERED, now, out)

    # ------------------------------------------------------------------ the agent's phone

    def ringing(self, ev: inp.AgentLegRinging, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._table.of_channel(ev.channel_id)
        if contact is None or contact.agent_channel != ev.channel_id:
            return
        if contact.accepts(Trigger.AGENT_RINGING):
            agent = self._agents.require(contact.agent_id or "")
            if agent.activity is Activity.RESERVED:
                self._agents.move(agent, now, out, activity=Activity.RINGING)

    def ringing_leg(self, channel_id: str, out: list[cmd.Command]) -> ContactState | None:
        """The contact an answered agent leg rings for, if it still rings for it; a leg whose
        contact ended meanwhile is hung up."""
        contact = self._table.of_channel(channel_id)
        if contact is None or contact.agent_channel != channel_id:
            # The contact ended while this agent's phone was ringing: release the agent's phone.
            log.info("agent leg %s answered after its contact ended; hanging up", channel_id)
            out.append(cmd.Hangup(channel_id))
            return None
        return contact if contact.accepts(Trigger.AGENT_ANSWERED) else None

    def answered(self, ev: inp.AgentLegAnswered, now: datetime, out: list[cmd.Command]) -> None:
        """The agent picked up an inbound contact: caller and agent into one bridge.  The
        contact stays RINGING (and the ring guard armed) until ARI says both are in the bridge
        (:meth:`bridged`): until then a caller who hangs up abandons, and an agent who does
        leaves the caller queued."""
        contact = self.ringing_leg(ev.channel_id, out)
        if contact is None or contact.bridging:
            return
        self._table.stop_dialogues(contact, now, out)  # the agent connection always wins
        self._table.cancel_callback_offer(contact, now, out)
        # Taken at offer time, unless a restart came between.
        bridge_id = contact.bridge_id or self._table.take_bridge(contact, out)
        # Both in one request, and the music stopped only once the caller is in the bridge:
        # channel MOH goes on inside a mixing bridge (transfer.jsonl), so the caller hears
        # music, then the agent, never silence in between.
        out += [
            cmd.AddToBridge(bridge_id, (contact.caller_channel, ev.channel_id)),
            cmd.StopMoh(contact.caller_channel),
        ]
        contact.bridging = True

    def bridged(self, ev: inp.LegsBridged, now: datetime, out: list[cmd.Command]) -> None:
        """Caller and agent are in one bridge: now the contact is answered, the agent on call."""
        contact = self._table.of_channel(ev.channel_ids[0]) if ev.channel_ids else None
        if (
            contact is None
            or not contact.bridging
            or contact.bridge_id != ev.bridge_id
            or contact.agent_channel not in ev.channel_ids
            or contact.phase is not Phase.RINGING
        ):
            return
        contact.bridging = False
        agent = self._agents.require(contact.agent_id or "")
        out.append(cmd.CancelTimer(TimerKey(TimerKind.RING, contact.agent_channel)))
        self._table.unroute(contact)
        record = contact.record
        record.answered_at = now
        record.agent_id = agent.id
        self._agents.answered(agent, now, counts=True)
        self.close_offer(contact, OfferResult.ANSWERED, None, now)
        self._table.to_phase(contact, Phase.CONNECTED)
        self._agents.move(agent, now, out, activity=Activity.ON_CALL)
        self._table.emit(contact, ContactEventKind.ANSWERED, now, out)

    def leg_gone(
        self, contact: ContactState, cause: int | None, now: datetime, out: list[cmd.Command]
    ) -> None:
        """The agent leg ended: an offer that came to nothing, or the agent hung up."""
        if not contact.accepts(Trigger.AGENT_LEG_GONE):
            return
        if contact.phase is Phase.CONNECTED:
            # Asterisk leaves the caller alone in the bridge: we hang up and tear down.
            self.hang_up_leg_and_bridge(contact, contact.caller_channel, out)
            self.release_agent(contact, now, out, wrap_up=True)
            self._table.end(contact, Outcome.ANSWERED, now, out)
        else:
            result = _CAUSE_RESULT.get(cause or 0, OfferResult.UNREACHABLE)
            if cause is None:
                # Found gone on resync: the cause is lost.  It may be the agent's answer that
                # Asterisk hung up because the app had no connection to enter (an answered
                # leg cannot enter Stasis while the events socket is down): not held against
                # the agent.
                result = OfferResult.NO_ANSWER
            self.offer_failed(contact, result, cause, now, out, agents_fault=cause is not None)

    def originate_failed(
        self, ev: inp.OriginateFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._table.of_channel(ev.channel_id)
        if contact is None or contact.agent_channel != ev.channel_id:
            return
        log.warning("cannot dial agent %s: %s", contact.agent_id, ev.reason)
        self.offer_failed(contact, OfferResult.UNREACHABLE, None, now, out)

    def offer_failed(
        self,
        contact: ContactState,
        result: OfferResult,
        cause: int | None,
        now: datetime,
        out: list[cmd.Command],
        *,
        agents_fault: bool = True,
    ) -> None:
        assert contact.agent_channel is not None
        agent = self._agents.require(contact.agent_id or "")
        if not contact.accepts(Trigger.OFFER_FAILED):
            return
        out.append(cmd.CancelTimer(TimerKey(TimerKind.RING, contact.agent_channel)))
        if contact.bridging:
            # The agent answered and left before the bridging was done: the caller, perhaps
            # already in the bridge and off music, is queued again with music and no bridge.
            contact.bridging = False
            self._table.release_bridge(contact, None, out)  # the caller may be in it
            assert contact.line is not None  # an inbound contact's
            out.append(cmd.StartMoh(contact.caller_channel, contact.line.moh_class))
        # The bridge stays for the caller's next offer (two requests fewer per offer that
        # rings out); the contact's end destroys it if no agent ever answers.
        self.close_offer(contact, result, cause, now)
        if agents_fault:
            self._agents.missed(agent, result, now, out)
        self.release_agent(contact, now, out, wrap_up=False)
        self._table.to_phase(contact, Phase.QUEUED)
        self._table.requeue(contact, now)
        self._table.emit(contact, ContactEventKind.OFFER_ENDED, now, out)

    def cancel_ring(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """Stop ringing the agent for this contact; the agent keeps their place, unpenalised."""
        assert contact.agent_channel is not None
        out.append(cmd.Hangup(contact.agent_channel))
        out.append(cmd.CancelTimer(TimerKey(TimerKind.RING, contact.agent_channel)))
        self.drop_bridge(contact, out)
        self.close_offer(contact, OfferResult.CANCELLED, None, now)
        contact.bridging = False
        self.release_agent(contact, now, out, wrap_up=False)
        self._table.to_phase(contact, Phase.QUEUED)

    def drop_caller(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """The calling party left: stop what rings for them or hang up their agent, and end."""
        phase = contact.phase
        if phase is Phase.RINGING:
            self.cancel_ring(contact, now, out)
        elif phase is Phase.CONNECTED:
            self.hang_up_leg_and_bridge(contact, contact.agent_channel, out)
            self.release_agent(contact, now, out, wrap_up=True)
        if phase is Phase.FAREWELL and contact.farewell is not None:
            outcome = contact.farewell
        else:
            outcome = Outcome.ANSWERED if phase is Phase.CONNECTED else Outcome.ABANDONED
        self._table.end(contact, outcome, now, out)

    # ------------------------------------------------------------------ shared steps

    def release_agent(
        self, contact: ContactState, now: datetime, out: list[cmd.Command], *, wrap_up: bool
    ) -> None:
        agent = self._agents.require(contact.agent_id or "")
        self._table.drop_leg(contact.agent_channel)
        contact.agent_id = None
        contact.agent_channel = None
        callback = contact.callback
        line_rule = contact.line.callbacks if contact.line is not None else None
        handled = Handled(
            record=contact.record,
            since=now,
            callback_number=callback.number if callback is not None else None,
            callback_id=callback.callback_id if callback is not None else None,
            virtual_hold=callback is not None and line_rule is not None and line_rule.virtual_hold,
        )
        self._agents.release(agent, now, out, wrap_up=wrap_up, handled=handled)

    @staticmethod
    def close_offer(
        contact: ContactState, result: OfferResult, cause: int | None, now: datetime
    ) -> None:
        offer = contact.record.offers[-1]
        offer.result = result
        offer.ended_at = now
        offer.cause = cause

    def drop_bridge(self, contact: ContactState, out: list[cmd.Command]) -> None:
        """The ring is cancelled: the bridge taken for it is given up (empty unless the
        agent's answer was being bridged)."""
        if contact.phase is Phase.RINGING:
            self._table.release_bridge(contact, None if contact.bridging else (), out)

    def hang_up_leg_and_bridge(
        self, contact: ContactState, other: str | None, out: list[cmd.Command]
    ) -> None:
        """The call is over: ``other``, the party still on, is hung up (None: the one still
        on stays in the app, and so in the bridge until it goes), and the bridge given up."""
        if other is not None:
            out.append(cmd.Hangup(other))
        self._table.release_bridge(contact, None if other is None else (other,), out)
