"""Surveys: after the conversation the caller answers the line's satisfaction survey alone,
in the engine, while their agent is already free.

A caller goes to the survey when their agent presses "To survey" (the agent's leg is hung up),
or when the agent hangs up on a line whose survey takes every caller on (``after_agent_hangup``,
for the line's ``share`` of calls).  Either way the caller leaves the agent's bridge (it is
destroyed; the caller stays in Stasis), the agent goes to wrap-up and can be offered the next
call at once, and :class:`ivr.survey.Survey` plays the questions.  Each answer becomes a
:class:`~acd.engine.commands.SurveyStep` the moment it is keyed, for the store and the metrics,
so a caller who hangs up half-way leaves the answers already given.  The contact ends
``answered`` when the caller hangs up or the thanks are over; its talk time ends when the
survey began.

The survey's start and each question reached are contact events too (``survey_started_at``,
``survey_question`` on the record, written at once), so an engine restarted in the middle of
it resumes it at the question the caller had reached (:meth:`Surveys.resume`) instead of
queueing an answered caller for a new agent.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import ivr_glue
from acd.engine.contacts import ContactState, Phase, Prompt
from acd.engine.model import LineConfig
from acd.engine.offer_user import OfferUser
from acd.engine.recording import recording_over
from acd.engine.timers import TimerKey
from foundation.contact import ContactEventKind, ContactRecord, Outcome
from foundation.errors import RefusedTransition
from ivr.survey import Answered, Survey, SurveyAction, SurveyOver

log = logging.getLogger(__name__)


def chosen(contact_id: str, share: float) -> bool:
    """Whether this call is in the line's share of surveyed calls: a hash of the contact id
    (random per call), so the choice is the same on every look and needs no state."""
    if share >= 1.0:
        return True
    return zlib.crc32(contact_id.encode()) / 2**32 < share


class Surveys(OfferUser):
    def request(self, ev: inp.SurveyRequested, now: datetime, out: list[cmd.Command]) -> None:
        """The agent's "To survey": refused (nothing changed) unless they talk to a caller who
        called in on a line with a survey."""
        agent = self._agents.require(ev.agent_id)
        contact = self._table.get(agent.contact_id or "")
        if contact is None or contact.phase is not Phase.CONNECTED or contact.callback:
            raise RefusedTransition(
                "not_on_call", f"agent {agent.id} is not talking to a caller who called in"
            )
        if contact.line is None or contact.line.survey is None:
            raise RefusedTransition(
                "no_survey", f"line {contact.record.line!r} has no survey switched on"
            )
        assert contact.agent_channel is not None
        out.append(cmd.Hangup(contact.agent_channel))
        self._start(contact, now, out)

    def agent_hung_up(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> bool:
        """The agent hung up on a connected caller: send the caller on if the line says so."""
        rule = contact.line.survey if contact.line is not None else None
        if rule is None or not rule.after_agent_hangup or contact.callback is not None:
            return False
        if not chosen(contact.id, rule.share):
            return False
        self._start(contact, now, out)
        return True

    def dtmf(
        self, contact: ContactState, digit: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.survey is not None:
            self._actions(contact, contact.survey.digit(digit, now), now, out)

    def playback_done(
        self, contact: ContactState, playback_id: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        if contact.survey is not None:
            self._actions(contact, contact.survey.playback_finished(playback_id, now), now, out)

    def timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        contact = self._table.get(key.subject)
        if contact is not None and contact.survey is not None:
            self._actions(contact, contact.survey.timer(key.sub, now), now, out)

    def resume(
        self, record: ContactRecord, line: LineConfig, now: datetime, out: list[cmd.Command]
    ) -> ContactState:
        """Take up a caller who was answering the survey when an earlier run stopped: the
        question they had reached is asked afresh (the answers stored before it are kept, none
        is asked twice); past the last one, the thanks.  A line whose survey was switched off
        meanwhile has nothing to ask: the caller is hung up, as after the thanks."""
        contact = self._table.add(record, line, phase=Phase.SURVEY)
        contact.talk_ended_at = record.survey_started_at
        rule = line.survey
        if rule is None:
            log.warning("contact %s: its line's survey is gone; hanging up", contact.id)
            out.append(cmd.Hangup(contact.caller_channel))
            self._table.end(contact, Outcome.ANSWERED, now, out)
            return contact
        contact.survey = Survey(rule.survey, self._ids)
        position = record.survey_question or 0
        log.info("contact %s: survey resumed at question %d", contact.id, position + 1)
        self._actions(contact, contact.survey.resume(position, now), now, out)
        return contact

    def caller_gone(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """Hung up during the survey: the answers given are stored already."""
        log.info("contact %s: caller left the survey", contact.id)
        self._table.end(contact, Outcome.ANSWERED, now, out)

    # ------------------------------------------------------------------ steps

    def _start(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        rule = contact.line.survey if contact.line is not None else None
        assert rule is not None
        # Out of the agent's bridge (the caller stays in the app), the agent free at once.
        # The caller is taken out first, in one batch with the bridge's end and the first
        # prompt: a prompt Asterisk queues on a channel still in a bridge is lost when the
        # bridge goes (the real-PBX survey test heard no intro about one time in two).
        recording_over(contact, now, out)
        if contact.bridge_id is not None:
            out.append(cmd.RemoveFromBridge(contact.bridge_id, (contact.caller_channel,)))
        self._offers.hang_up_leg_and_bridge(contact, None, out)
        self._offers.release_agent(contact, now, out, wrap_up=True)
        contact.talk_ended_at = now
        self._table.to_phase(contact, Phase.SURVEY)
        contact.survey = Survey(rule.survey, self._ids)
        log.info("contact %s: to the survey", contact.id)
        contact.record.survey_started_at = now
        contact.record.survey_question = 0
        self._table.emit(contact, ContactEventKind.SURVEY_STARTED, now, out)
        out.append(self._step(contact, cmd.SurveyStepKind.STARTED, now))
        self._actions(contact, contact.survey.start(now), now, out)

    def _actions(
        self,
        contact: ContactState,
        actions: Iterable[SurveyAction],
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        actions = list(actions)
        ivr_glue.translate(actions, contact, self._table, Prompt.SURVEY, out)
        survey = contact.survey
        for action in actions:
            if isinstance(action, Answered):
                # A resumed survey cannot tell whether the caller answered before the restart.
                first = survey is not None and not survey.resumed and action is survey.answers[0]
                out.append(
                    self._step(
                        contact,
                        cmd.SurveyStepKind.ANSWERED,
                        now,
                        question=action.question,
                        position=action.position,
                        score=action.score,
                        first=first,
                    )
                )
            elif isinstance(action, SurveyOver):
                out.append(cmd.Hangup(contact.caller_channel))
                contact.survey = None
                self._table.end(contact, Outcome.ANSWERED, now, out)
                return
        if survey is not None and survey.position != contact.record.survey_question:
            # On disk before the next question is heard: a restart asks it, not an earlier one.
            contact.record.survey_question = survey.position
            self._table.emit(contact, ContactEventKind.SURVEY_QUESTION, now, out)

    @staticmethod
    def _step(
        contact: ContactState,
        kind: cmd.SurveyStepKind,
        now: datetime,
        *,
        question: str = "",
        position: int = 0,
        score: int = 0,
        first: bool = False,
    ) -> cmd.SurveyStep:
        record = contact.record
        return cmd.SurveyStep(
            kind=kind,
            contact_id=record.id,
            agent_id=record.agent_id,
            line=record.line or "",
            line_code=record.line_code or "",
            at=now,
            question=question,
            position=position,
            score=score,
            first=first,
        )
