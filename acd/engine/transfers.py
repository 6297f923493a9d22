"""Transfers: an agent hands their caller to an escalation point by phone, in closed mode (the
contact ends in the contact centre once transferred), and the caller is never dropped.

The agent leaves the bridge and waits; the caller hears a short message, then music, while
the escalation point's number rings (``transfer.jsonl``).  When the point answers, it joins the
caller's bridge and the agent is hung up into wrap-up.  When it is busy, does not answer or
cannot be dialled, the caller goes back to the same agent if they still wait, else to the
front of the queue.  Whether the point may be called at all now is decided before the request
reaches the core (``escalations``: transfer allowed, reachability slots, deviating dates).
"""

from __future__ import annotations

import logging
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import ivr_glue, legs
from acd.engine.contacts import ContactState, Phase, Prompt, Trigger
from acd.engine.offer_user import OfferUser
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import ContactEventKind, Outcome
from foundation.errors import RefusedTransition

log = logging.getLogger(__name__)

# A caller whose transfer failed after their agent left goes before everyone waiting.
FRONT_OF_QUEUE = 1_000


class Transfers(OfferUser):
    def request(self, ev: inp.TransferRequested, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agents.require(ev.agent_id)
        contact = self._table.get(agent.contact_id or "")
        if contact is None or contact.phase is not Phase.CONNECTED or contact.callback:
            raise RefusedTransition(
                "not_on_call", f"agent {agent.id} is not talking to a caller who called in"
            )
        assert contact.bridge_id is not None
        assert contact.agent_channel is not None
        leg = legs.leg_id(legs.ESCALATION_PREFIX, self._ids(legs.ESCALATION_PREFIX), contact.id)
        contact.escalation_channel = leg
        contact.record.escalation_point = ev.point_id
        self._table.add_leg(contact, leg)
        self._table.to_phase(contact, Phase.TRANSFERRING)
        timeout = self._config.escalation_ring_timeout_s
        out.append(cmd.RemoveFromBridge(contact.bridge_id, (contact.agent_channel,)))
        self._table.play(
            contact, contact.caller_channel, self._config.transfer_prompt, Prompt.TRANSFER, out
        )
        out += [
            cmd.Originate(
                channel_id=leg,
                endpoint=ivr_glue.dial_string(self._config.escalation_dial, ev.number),
                app_args=legs.escalation_leg_args(ev.point_id, contact.id),
                caller_id=self._config.caller_id,
                timeout_s=timeout,
                originator=contact.caller_channel,
            ),
            cmd.StartTimer(
                TimerKey(TimerKind.TRANSFER, contact.id), timeout + self._config.ring_guard_slack_s
            ),
        ]
        log.info("contact %s: agent %s transfers to %s", contact.id, agent.id, ev.point_id)
        self._table.emit(contact, ContactEventKind.TRANSFER_STARTED, now, out)

    def emailed(self, ev: inp.EmailEscalated, now: datetime, out: list[cmd.Command]) -> None:
        """The question went to ``ev.point_id`` by e-mail while the agent talks to the caller.
        On the record at once (an event, so it is stored): an engine restarted during the
        call still ends it as ``escalated_email``."""
        agent = self._agents.require(ev.agent_id)
        contact = self._table.get(agent.contact_id or "")
        if contact is None or contact.phase is not Phase.CONNECTED:
            return  # the mail is stored and goes out whatever became of the call
        contact.record.emailed_to = ev.point_id
        contact.record.escalation_point = ev.point_id
        self._table.emit(contact, ContactEventKind.EMAIL_ESCALATED, now, out)

    def prompt_done(self, contact: ContactState, out: list[cmd.Command]) -> None:
        """The message is over: music while the escalation point rings."""
        self._table.prompt_over(contact, Prompt.TRANSFER, out)
        if contact.phase is Phase.TRANSFERRING and contact.line is not None:
            out.append(cmd.StartMoh(contact.caller_channel, contact.line.moh_class))

    def answered(self, ev: inp.EscalationAnswered, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._table.of_channel(ev.channel_id)
        if contact is None or contact.escalation_channel != ev.channel_id:
            log.info("escalation leg %s answered for no transfer; hanging up", ev.channel_id)
            out.append(cmd.Hangup(ev.channel_id))
            return
        if not contact.accepts(Trigger.ESCALATION_ANSWERED):
            return
        assert contact.bridge_id is not None
        self._quiet(contact, out)
        out.append(cmd.AddToBridge(contact.bridge_id, (ev.channel_id,)))
        contact.bridge_shared = True
        contact.record.transferred_at = now
        if contact.agent_channel is not None:  # the agent's part is over
            out.append(cmd.Hangup(contact.agent_channel))
            self._offers.release_agent(contact, now, out, wrap_up=True)
        self._table.to_phase(contact, Phase.ESCALATED)
        log.info("contact %s: escalated to %s", contact.id, contact.record.escalation_point)
        self._table.emit(contact, ContactEventKind.ESCALATED, now, out)

    def channel_gone(
        self,
        contact: ContactState,
        channel_id: str,
        cause: int | None,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """A channel of a contact being transferred or escalated ended (``cause``: Asterisk's
        Q.850 hang-up cause, when it gave one)."""
        if channel_id == contact.escalation_channel:
            if contact.phase is Phase.TRANSFERRING:
                self._failed(contact, _not_reached(cause), now, out)
            else:  # the escalation point hung up: the call is over
                self._end(contact, now, out)
        elif channel_id == contact.agent_channel:
            # The agent hung up while the point rang: they are free; the caller waits on.
            self._offers.release_agent(contact, now, out, wrap_up=True)
        elif channel_id == contact.caller_channel:
            self._end(contact, now, out)

    def originate_failed(
        self, contact: ContactState, ev: inp.OriginateFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        self._failed(contact, f"cannot be dialled: {ev.reason}", now, out)

    def timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._table.get(key.subject)
        if contact is None or contact.escalation_channel is None:
            return
        if contact.phase is Phase.TRANSFERRING:
            log.warning("escalation leg of %s outlived its ring timeout", contact.id)
            out.append(cmd.Hangup(contact.escalation_channel))
            self._failed(contact, "no answer", now, out)

    # ------------------------------------------------------------------ shared steps

    def _failed(
        self, contact: ContactState, reason: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        """The escalation point was not reached: back to the agent who waits, else to the
        front of the queue.  Never dropped."""
        if not contact.accepts(Trigger.ESCALATION_FAILED):
            return
        log.info(
            "contact %s: transfer to %s failed (%s)",
            contact.id,
            contact.record.escalation_point,
            reason,
        )
        assert contact.bridge_id is not None
        self._quiet(contact, out)
        self._table.drop_leg(contact.escalation_channel)
        contact.escalation_channel = None
        self._table.emit(contact, ContactEventKind.TRANSFER_FAILED, now, out)
        # Not reached by phone: the point the question was mailed to, if it was.
        contact.record.escalation_point = contact.record.emailed_to
        if contact.agent_channel is not None:
            out.append(cmd.AddToBridge(contact.bridge_id, (contact.agent_channel,)))
            self._table.to_phase(contact, Phase.CONNECTED)
            return
        # Out of the old bridge: the next agent's answer makes a new one.
        out += [cmd.RemoveFromBridge(contact.bridge_id, (contact.caller_channel,))]
        self._table.release_bridge(contact, None, out)
        contact.priority = FRONT_OF_QUEUE
        record = contact.record
        self._table.to_phase(contact, Phase.QUEUED)
        self._table.route(contact, now, record.queued_at or record.arrived_at)
        if contact.line is not None:
            out.append(cmd.StartMoh(contact.caller_channel, contact.line.moh_class))

    def _quiet(self, contact: ContactState, out: list[cmd.Command]) -> None:
        """Stop the message and the music the caller hears while the point rings."""
        out.append(cmd.CancelTimer(TimerKey(TimerKind.TRANSFER, contact.id)))
        if contact.playback_id is not None:
            out.append(cmd.StopPlayback(contact.playback_id))
            self._table.prompt_over(contact, Prompt.TRANSFER, out)
        out.append(cmd.StopMoh(contact.caller_channel))

    def _end(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """The caller or, once escalated, the point hung up: everyone else is hung up."""
        escalated = contact.phase is Phase.ESCALATED
        if contact.phase is Phase.TRANSFERRING:
            self._quiet(contact, out)
        for channel in (contact.caller_channel, contact.escalation_channel, contact.agent_channel):
            if channel is not None:
                out.append(cmd.Hangup(channel))
        if contact.agent_channel is not None:
            self._offers.release_agent(contact, now, out, wrap_up=True)
        self._table.drop_leg(contact.escalation_channel)
        contact.escalation_channel = None
        self._offers.hang_up_leg_and_bridge(contact, None, out)
        self._table.end(
            contact, Outcome.ESCALATED_PHONE if escalated else Outcome.ANSWERED, now, out
        )


# What a Q.850 cause on the point's leg before it answered means, as Asterisk 22 reports it
# over a SIP trunk (trunk_transfer.jsonl, originate_failures.jsonl): 486 Busy Here -> 17; the
# originate timeout while it rings -> 19 (480); a far side that never answers SIP -> 18 (408).
_NOT_REACHED = {
    17: "busy",
    18: "no response from the far side",
    19: "no answer",
    21: "rejected",
    34: "no circuit (congestion)",
}


def _not_reached(cause: int | None) -> str:
    if cause is None:
        return "the escalation point's leg ended"
    return _NOT_REACHED.get(cause, f"the escalation point's leg ended with cause {cause}")
