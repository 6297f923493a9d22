"""Callback placing: a stored callback the dialer hands over is placed agent first.

The contact queues like a caller who is not on the line yet; once an agent answers (the offer
itself is :mod:`acd.engine.offers`'), the agent hears whom they will call (the whisper), then
the citizen is dialled into the agent's bridge.  Every attempt ends with one
:class:`~acd.engine.commands.FinishCallback` carrying its :class:`AttemptResult`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import ivr_glue, legs
from acd.engine.contacts import (
    CallbackLeg,
    ContactState,
    Phase,
    Prompt,
    Trigger,
)
from acd.engine.offer_user import OfferUser
from acd.engine.timers import TimerKey, TimerKind
from callbacks.model import AttemptResult
from foundation.contact import (
    Activity,
    ContactEventKind,
    ContactKind,
    ContactRecord,
    OfferResult,
    Outcome,
)
from ivr.numbers import number_media

log = logging.getLogger(__name__)

# How a citizen's leg that never answered ended (Q.850 cause) -> the attempt's result.
_CITIZEN_RESULT = {
    17: AttemptResult.BUSY,
    21: AttemptResult.BUSY,
    19: AttemptResult.NO_ANSWER,
    18: AttemptResult.NO_ANSWER,
}


def citizen_result(cause: int | None) -> AttemptResult:
    """The attempt's result for a citizen's leg that ended unanswered (no cause: it rang out)."""
    return _CITIZEN_RESULT.get(cause or 19, AttemptResult.FAILED)


class CallbackPlacing(OfferUser):
    def due(self, ev: inp.CallbackDue, now: datetime, out: list[cmd.Command]) -> None:
        """A stored callback to place: agent first, like a contact whose caller is not yet on
        the line.  Its age (since the request) is its place among callbacks."""
        line = next((ln for ln in self._config.lines if ln.id == ev.line), None)
        contact_id = self._ids("ct")
        record = ContactRecord(
            id=contact_id,
            # The citizen's channel, once dialled.
            channel_id=legs.leg_id(legs.CITIZEN_PREFIX, self._ids(legs.CITIZEN_PREFIX), contact_id),
            line=ev.line,
            caller_number=ev.number,
            arrived_at=now,
            line_code=ev.line_code,
            queued_at=now,
        )
        record.kind = ContactKind.CALLBACK
        contact = self._table.add(record, line, phase=Phase.QUEUED, priority=ev.priority)
        contact.callback = CallbackLeg(ev.callback_id, ev.attempt_seq, ev.number)
        log.info(
            "placing callback %s (attempt %d) to %s as contact %s",
            ev.callback_id,
            ev.attempt_seq,
            ev.number,
            record.id,
        )
        self._table.emit(contact, ContactEventKind.ARRIVED, now, out)
        self._table.route(contact, now, ev.requested_at)

    # ------------------------------------------------------------------ the agent's side

    def agent_answered(
        self, ev: inp.AgentLegAnswered, now: datetime, out: list[cmd.Command]
    ) -> None:
        """The agent picked up: into a bridge of their own, and told whom they will call."""
        contact = self._offers.ringing_leg(ev.channel_id, out)
        if contact is None:
            return
        callback = contact.callback
        assert callback is not None
        agent = self._agents.require(contact.agent_id or "")
        media = (*self._config.callback_whisper, *number_media(callback.number))
        out.append(cmd.CancelTimer(TimerKey(TimerKind.RING, ev.channel_id)))
        bridge_id = self._table.take_bridge(contact, out)
        out.append(cmd.AddToBridge(bridge_id, (ev.channel_id,)))
        self._table.play(contact, ev.channel_id, media, Prompt.WHISPER, out)
        self._table.unroute(contact)
        contact.record.agent_id = agent.id
        self._agents.answered(agent, now, counts=False)
        self._offers.close_offer(contact, OfferResult.ANSWERED, None, now)
        self._table.to_phase(contact, Phase.WHISPER)
        self._agents.move(agent, now, out, activity=Activity.ON_CALL)

    def whisper_over(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        self._table.prompt_over(contact, Prompt.WHISPER, out)
        if contact.accepts(Trigger.WHISPER_OVER):
            self._dial_citizen(contact, out)

    def agent_leg_gone(
        self, contact: ContactState, cause: int | None, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.phase in (Phase.WHISPER, Phase.DIALING):
            self._agent_left(contact, now, out)
        else:  # still ringing, or the call with the citizen is over
            self._offers.leg_gone(contact, cause, now, out)

    def _agent_left(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """The agent hung up before the citizen answered: the attempt did not count against
        the citizen; the callback goes back to the dialer."""
        if contact.phase is Phase.DIALING:
            out.append(cmd.Hangup(contact.caller_channel))
        out.append(cmd.CancelTimer(TimerKey(TimerKind.CITIZEN, contact.id)))
        self._offers.hang_up_leg_and_bridge(contact, None, out)
        self._offers.release_agent(contact, now, out, wrap_up=False)
        self._finish(contact, AttemptResult.AGENT_UNAVAILABLE, out)
        self._table.end(contact, Outcome.CALLBACK_NOT_REACHED, now, out)

    # ------------------------------------------------------------------ the citizen's side

    def _dial_citizen(self, contact: ContactState, out: list[cmd.Command]) -> None:
        callback = contact.callback
        assert callback is not None
        timeout = self._config.callback_ring_timeout_s
        out += [
            cmd.Originate(
                channel_id=contact.caller_channel,
                endpoint=ivr_glue.dial_string(self._config.callback_dial, callback.number),
                app_args=legs.citizen_leg_args(contact.id),
                caller_id=self._config.caller_id,
                timeout_s=timeout,
                originator=contact.agent_channel,
            ),
            cmd.StartTimer(
                TimerKey(TimerKind.CITIZEN, contact.id), timeout + self._config.ring_guard_slack_s
            ),
        ]
        self._table.to_phase(contact, Phase.DIALING)

    def citizen_answered(
        self, ev: inp.CitizenAnswered, now: datetime, out: list[cmd.Command]
    ) -> None:
        contact = self._table.of_channel(ev.channel_id)
        if (
            contact is None
            or contact.callback is None
            or not contact.accepts(Trigger.CITIZEN_ANSWERED)
        ):
            log.info(
                "citizen leg %s answered for no callback in progress; hanging up", ev.channel_id
            )
            out.append(cmd.Hangup(ev.channel_id))
            return
        assert contact.bridge_id is not None
        out += [
            cmd.CancelTimer(TimerKey(TimerKind.CITIZEN, contact.id)),
            cmd.AddToBridge(contact.bridge_id, (ev.channel_id,)),
        ]
        contact.record.answered_at = now
        self._table.to_phase(contact, Phase.CONNECTED)
        self._table.emit(contact, ContactEventKind.ANSWERED, now, out)
        self._finish(contact, AttemptResult.ANSWERED, out)

    def citizen_gone(
        self, contact: ContactState, cause: int | None, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.phase is Phase.DIALING:
            self._not_reached(contact, citizen_result(cause), now, out)
        else:  # the call is over (or the leg was never dialled)
            self._offers.drop_caller(contact, now, out)

    def originate_failed(
        self, contact: ContactState, ev: inp.OriginateFailed, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.accepts(Trigger.CITIZEN_NOT_REACHED):
            log.warning("cannot dial the citizen of callback contact %s: %s", contact.id, ev.reason)
            self._not_reached(contact, AttemptResult.FAILED, now, out)

    def timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._table.get(key.subject)
        if contact is None:
            return
        if key.kind is TimerKind.WHISPER and contact.playback_id is not None:
            log.warning("whisper for contact %s never finished; moving on", contact.id)
            self.whisper_over(contact, now, out)
        elif key.kind is TimerKind.CITIZEN and contact.accepts(Trigger.CITIZEN_NOT_REACHED):
            log.warning("citizen leg of %s outlived its ring timeout; hanging up", contact.id)
            out.append(cmd.Hangup(contact.caller_channel))
            self._not_reached(contact, AttemptResult.NO_ANSWER, now, out)

    def _not_reached(
        self, contact: ContactState, result: AttemptResult, now: datetime, out: list[cmd.Command]
    ) -> None:
        log.info("callback contact %s: the citizen was not reached (%s)", contact.id, result)
        out.append(cmd.CancelTimer(TimerKey(TimerKind.CITIZEN, contact.id)))
        self._offers.hang_up_leg_and_bridge(contact, contact.agent_channel, out)
        self._offers.release_agent(contact, now, out, wrap_up=False)
        self._finish(contact, result, out)
        self._table.end(contact, Outcome.CALLBACK_NOT_REACHED, now, out)

    def _finish(self, contact: ContactState, result: AttemptResult, out: list[cmd.Command]) -> None:
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
