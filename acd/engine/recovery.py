"""Recovery: the calls a previous run of the engine left in Asterisk, taken up where they are.

After a crash, a ``kill -9`` or a deploy, Asterisk keeps every channel in our Stasis app and
every bridge, and replays no event.  On the first connection the shell reads ``GET /channels``,
``/bridges`` and ``/applications/{app}`` and the contact records this engine stored and did not
end (:class:`~acd.engine.inputs.AriState`); this part decides, for each caller still in the app
whom the core does not know, where its contact stands.  The ids say whose a leg or bridge is
(:mod:`~acd.engine.legs`), so nothing needs to be guessed:

==========================================================  ===============================
what ARI shows                                              the contact is taken up as
==========================================================  ===============================
caller and its agent's leg together in a bridge             connected: the agent on call;
                                                            ends as any answered contact,
                                                            talk time from the first answer
the agent's leg in the app, not bridged (answered meanwhile) bridged now
the agent's leg still ringing                               ringing: the agent may answer
                                                            (the empty bridge made for the
                                                            offer kept for the answer)
the caller alone, the survey started before                 the survey resumed at the
                                                            question reached (never queued
                                                            for a new agent)
the caller alone, queued before                             queued at its place and wait
the caller alone, not queued yet                            welcomed again
the caller, no stored record (it arrived just before)       a new arrival
a callback's citizen talking to its agent in their bridge   connected, as an inbound call
a callback's citizen in any other state                     released (the dialer places it
                                                            again)
a stored record, no caller any more                         ended now (answered or abandoned)
caller and an escalation point's leg together in a bridge   escalated: ends as such
an escalation point still ringing                           hung up; the caller back with
                                                            the waiting agent, else queued
a leg of ours that no contact claims, or a bridge with       hung up, destroyed
someone in it
an empty bridge of ours that no contact claims              kept for the next call
                                                            (:mod:`acd.engine.bridges`)
==========================================================  ===============================

The caller's own record is taken up, never a new one: a call is recorded once, when it ends.
A bridge an earlier run recorded (``recording_started_at`` on the record) is still recorded by
Asterisk: the contact taken up bridged knows its recording again, so it ends with the call;
one whose call ended meanwhile (or left for the survey) gets its end now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.agent_state import AgentState
from acd.engine.agents import AgentBook
from acd.engine.contacts import ContactState, ContactTable, Phase
from acd.engine.inbound import Inbound
from acd.engine.model import EngineConfig, LineConfig
from acd.engine.offers import Offers
from acd.engine.recording import taken_up
from acd.engine.survey import Surveys
from foundation.contact import Activity, ContactKind, ContactRecord, Outcome

log = logging.getLogger(__name__)


class Recovery:
    def __init__(
        self,
        config: EngineConfig,
        agents: AgentBook,
        table: ContactTable,
        offers: Offers,
        inbound: Inbound,
        surveys: Surveys,
    ) -> None:
        self._config = config
        self._agents = agents
        self._table = table
        self._offers = offers
        self._inbound = inbound
        self._surveys = surveys
        self._by_endpoint = {a.endpoint: a.id for a in config.agents}
        self._lines = {line.id: line for line in config.lines}

    def take_up(
        self,
        ev: inp.AriState,
        now: datetime,
        out: list[cmd.Command],
        keep: frozenset[str] = frozenset(),
    ) -> None:
        """Take up every caller in the app the core does not know; release the rest but
        ``keep`` (channels and bridges of live monitoring sessions)."""
        records = {
            r.channel_id: r
            for r in ev.records
            if r.ended_at is None and self._table.get(r.id) is None
        }
        bridge_of = {ch: b for b in ev.bridges for ch in b.channels}
        # A contact's bridge made while its agent's phone rang, nobody in it yet.
        empty = {b.id: b for b in ev.bridges if b.ours and not b.channels}
        legs_of: dict[str, list[inp.LiveChannel]] = {}
        for ch in ev.channels:
            contact_id = _contact_of_leg(ch)
            if contact_id is not None:
                legs_of.setdefault(contact_id, []).append(ch)
        taken: set[str] = set()  # channels and bridges a contact owns now
        taken_up = 0
        for ch in ev.channels:
            if self._table.knows_channel(ch.id):
                continue
            if isinstance(ch.role, legs.CitizenLeg):
                record = records.pop(ch.id, None)
                if record is not None:
                    its_legs = legs_of.get(record.id, ())
                    taken |= self._take_up_callback(record, ch, its_legs, bridge_of, now, out)
                    taken_up += bool(taken & {ch.id})
                continue
            if not isinstance(ch.role, legs.InboundCall):
                continue
            record = records.pop(ch.id, None)
            if record is None or self._lines.get(record.line or "") is None:
                log.warning("adopting call %s whose StasisStart was missed", ch.id)
                self._inbound.arrived(_arrival(ch), now, out)
                if record is not None:
                    self._close(record, Outcome.FAILED, now, out)  # its line is gone
                continue
            taken_up += 1
            its_legs = legs_of.get(record.id, ())
            taken |= self._take_up(record, ch, its_legs, bridge_of, empty, now, out)
        self._release(ev, taken, now, out, keep)
        for record in records.values():
            self._close(record, _outcome_unseen(record), now, out)
        if taken_up or records:
            log.warning(
                "taken up %d calls left by an earlier run; %d stored contacts had ended meanwhile",
                taken_up,
                len(records),
            )

    # ------------------------------------------------------------------ one caller

    def _take_up(
        self,
        record: ContactRecord,
        caller: inp.LiveChannel,
        its_legs: Iterable[inp.LiveChannel],
        bridge_of: dict[str, inp.LiveBridge],
        empty: dict[str, inp.LiveBridge],
        now: datetime,
        out: list[cmd.Command],
    ) -> set[str]:
        """Take up one caller's contact; returns the channels and bridge it now owns."""
        if record.survey_started_at is not None:
            return self._take_up_survey(record, caller, now, out)
        line = self._lines[record.line or ""]
        answered_leg = next((c for c in its_legs if isinstance(c.role, legs.AgentLeg)), None)
        ringing_leg = next((c for c in its_legs if c.dialling), None)
        bridge = bridge_of.get(caller.id)
        if not caller.up:
            out.append(cmd.Answer(caller.id))
        escalated = self._take_up_escalated(record, line, caller, its_legs, bridge, now)
        if escalated is not None:
            return escalated
        # A phone transfer that had not connected is no escalation (its ringing leg is hung
        # up); a question mailed before still is.
        record.escalation_point = record.emailed_to
        if answered_leg is not None:
            owned = self._take_up_answered(
                record, line, caller, answered_leg, bridge, empty, now, out
            )
            if owned is not None:
                return owned
        if ringing_leg is not None:
            agent = self._ringing_agent(record, ringing_leg)
            if agent is not None:
                record.queued_at = record.queued_at or record.arrived_at
                contact = self._table.add(record, line, phase=Phase.RINGING)
                made = empty.get(legs.bridge_id(record.id))
                if made is not None:  # the bridge waiting for the answer: kept for it
                    contact.bridge_id = made.id
                since = ringing_leg.created_at or now
                self._offers.resume_ringing(contact, agent, ringing_leg.id, since, now, out)
                self._inbound.resume_dialogues(contact, now, out)
                log.info("contact %s: agent %s's phone still rings", contact.id, agent.id)
                return {caller.id, ringing_leg.id, *([made.id] if made else [])}
        # The caller alone (an agent leg nobody can take up is hung up as an orphan).
        if record.queued_at is None and record.line_code is not None and record.offers:
            record.queued_at = record.arrived_at  # offered, so queued: the write was lost
        phase = Phase.WELCOME if record.queued_at is None else Phase.QUEUED
        contact = self._table.add(record, line, phase=phase)
        self._inbound.resume(contact, now, out)
        return {caller.id}

    def _take_up_answered(
        self,
        record: ContactRecord,
        line: LineConfig,
        caller: inp.LiveChannel,
        answered_leg: inp.LiveChannel,
        bridge: inp.LiveBridge | None,
        empty: dict[str, inp.LiveBridge],
        now: datetime,
        out: list[cmd.Command],
    ) -> set[str] | None:
        """The agent's leg answered: still bridged with the caller, or bridged now; None if
        its agent cannot take the call up (the leg is then hung up as an orphan)."""
        assert isinstance(answered_leg.role, legs.AgentLeg)
        agent = self._idle_agent(answered_leg.role.agent_id, record)
        if agent is not None and bridge is not None and answered_leg.id in bridge.channels:
            contact = self._table.add(record, line, phase=Phase.CONNECTED)
            bridged_at = _bridged_at(bridge, answered_leg) or now
            self._offers.resume_connected(
                contact, agent, answered_leg.id, bridge.id, bridged_at, now, out
            )
            contact.recording = taken_up(contact)
            log.info("contact %s: still talking to agent %s", contact.id, agent.id)
            return {caller.id, answered_leg.id, bridge.id}
        if agent is not None:  # the agent answered while no one listened: bridge them now
            contact = self._table.add(record, line, phase=Phase.RINGING)
            made = empty.get(legs.bridge_id(record.id))
            if bridge is not None:
                # The caller's old bridge (an agent who left it for a transfer): a new one
                # takes both, rather than adding a channel to a bridge it is already in.
                out.append(cmd.DestroyBridge(bridge.id))
            elif made is not None:  # made while the phone rang: both go into it
                contact.bridge_id = made.id
            since = answered_leg.created_at or now
            self._offers.resume_ringing(contact, agent, answered_leg.id, since, now, out)
            self._offers.answered(inp.AgentLegAnswered(answered_leg.id), now, out)
            log.info("contact %s: agent %s answered meanwhile; bridged", contact.id, agent.id)
            owned = bridge or made
            return {caller.id, answered_leg.id, *([owned.id] if owned else [])}
        return None

    def _take_up_escalated(
        self,
        record: ContactRecord,
        line: LineConfig,
        caller: inp.LiveChannel,
        its_legs: Iterable[inp.LiveChannel],
        bridge: inp.LiveBridge | None,
        now: datetime,
    ) -> set[str] | None:
        """Transferred: the caller talks to the escalation point; the agent's part is over.
        None if the caller is not bridged with an escalation point."""
        point_leg = next((c for c in its_legs if isinstance(c.role, legs.EscalationLeg)), None)
        if point_leg is None or bridge is None or point_leg.id not in bridge.channels:
            return None
        contact = self._table.add(record, line, phase=Phase.ESCALATED)
        contact.escalation_channel = point_leg.id
        contact.bridge_id = bridge.id
        contact.bridge_shared = True
        contact.recording = taken_up(contact)
        self._table.add_leg(contact, point_leg.id)
        record.transferred_at = record.transferred_at or bridge.created_at or now
        log.info(
            "contact %s: still talking to escalation point %s", contact.id, record.escalation_point
        )
        return {caller.id, point_leg.id, bridge.id}

    def _take_up_survey(
        self, record: ContactRecord, caller: inp.LiveChannel, now: datetime, out: list[cmd.Command]
    ) -> set[str]:
        """The caller was answering the survey: it goes on at the question reached, never
        queued for a new agent.  The agent's part is over: what is left of it (a leg, the
        bridge, if the kill came between the survey's start and their hang-up) is released."""
        line = self._lines[record.line or ""]
        if not caller.up:
            out.append(cmd.Answer(caller.id))
        contact = self._surveys.resume(record, line, now, out)
        assert record.survey_started_at is not None
        _recording_ended(contact, record.survey_started_at, out)
        return {caller.id}

    def _take_up_callback(
        self,
        record: ContactRecord,
        citizen: inp.LiveChannel,
        its_legs: Iterable[inp.LiveChannel],
        bridge_of: dict[str, inp.LiveBridge],
        now: datetime,
        out: list[cmd.Command],
    ) -> set[str]:
        """A callback's citizen still in the app: talking to the agent, the call goes on (its
        attempt was recorded answered when the citizen picked up).  Anything short of that is
        released: the dialer recovers the attempt and places the callback again."""
        record.kind = ContactKind.CALLBACK  # not stored: the citizen's leg says so
        line = self._lines.get(record.line or "")
        bridge = bridge_of.get(citizen.id)
        agent_leg = next((c for c in its_legs if isinstance(c.role, legs.AgentLeg)), None)
        if line is not None and agent_leg is not None and bridge is not None:
            assert isinstance(agent_leg.role, legs.AgentLeg)
            agent = self._idle_agent(agent_leg.role.agent_id, record)
            if agent is not None and agent_leg.id in bridge.channels:
                contact = self._table.add(record, line, phase=Phase.CONNECTED)
                bridged_at = record.answered_at or _bridged_at(bridge, agent_leg) or now
                self._offers.resume_connected(
                    contact, agent, agent_leg.id, bridge.id, bridged_at, now, out
                )
                contact.recording = taken_up(contact)
                log.info("callback contact %s: still talking to agent %s", contact.id, agent.id)
                return {citizen.id, agent_leg.id, bridge.id}
        self._close(record, _outcome_unseen(record), now, out)
        return set()

    def _idle_agent(self, agent_id: str, record: ContactRecord) -> AgentState | None:
        """The agent, if it exists and is free to take this contact up."""
        agent = self._agents.agents.get(agent_id)
        if agent is None:
            log.error("contact %s: agent %r is not configured any more", record.id, agent_id)
            return None
        if agent.activity is not Activity.IDLE and self._agents.is_ours(agent):
            log.error(
                "contact %s: agent %s is already %s with %s; not taken up",
                record.id,
                agent.id,
                agent.activity,
                agent.contact_id,
            )
            return None
        return agent

    def _ringing_agent(self, record: ContactRecord, leg: inp.LiveChannel) -> AgentState | None:
        """Whose phone a leg rings: the stored offer says so, else the leg's endpoint."""
        last = record.offers[-1] if record.offers else None
        agent_id = last.agent_id if last is not None and last.result is None else None
        agent_id = agent_id or self._by_endpoint.get(_endpoint(leg.name))
        return self._idle_agent(agent_id, record) if agent_id else None

    # ------------------------------------------------------------------ what nobody claims

    def _release(
        self,
        ev: inp.AriState,
        taken: set[str],
        now: datetime,
        out: list[cmd.Command],
        keep: frozenset[str],
    ) -> None:
        known_bridges = {c.bridge_id for c in self._table.contacts.values() if c.bridge_id}
        for ch in ev.channels:
            ours = isinstance(ch.role, legs.AgentLeg | legs.CitizenLeg | legs.EscalationLeg)
            # A supervisor's phone or snoop no session holds: monitoring is not taken up.
            ours = ours or isinstance(ch.role, legs.MONITOR_ROLES) or ch.dialling
            if ours and ch.id not in taken | keep and not self._table.knows_channel(ch.id):
                # A leg for a contact we no longer have: answered, it would reach no one (and a
                # callback it belonged to is dialled again: the citizen's phone would ring twice).
                log.warning("hanging up orphaned leg %s", ch.id)
                out.append(cmd.Hangup(ch.id))
        unclaimed = [
            bridge
            for bridge in ev.bridges
            if bridge.ours
            and bridge.id not in taken | keep
            and bridge.id not in known_bridges
            and not self._table.bridges.holds(bridge.id)
        ]
        # An empty one is kept for the next call, as one this run emptied would be.
        self._table.bridges.adopt((b.id for b in unclaimed if not b.channels), out)
        for bridge in unclaimed:
            if bridge.channels:
                log.info("destroying bridge %s, left by an earlier run", bridge.id)
                out.append(cmd.DestroyBridge(bridge.id))

    def _close(
        self, record: ContactRecord, outcome: Outcome, now: datetime, out: list[cmd.Command]
    ) -> None:
        """End a stored contact whose call is gone: recorded once, as far as it got."""
        log.info("contact %s ended while the engine was away: %s", record.id, outcome)
        contact = self._table.add(record, self._lines.get(record.line or ""), phase=Phase.QUEUED)
        _recording_ended(contact, record.survey_started_at or now, out)
        self._table.end(contact, outcome, now, out)


def _bridged_at(bridge: inp.LiveBridge, leg: inp.LiveChannel) -> datetime | None:
    """When caller and agent were bridged, as near as ARI tells: not before the agent's leg
    was made, nor before the bridge (a bridge kept from an earlier call is older than both)."""
    known = [t for t in (bridge.created_at, leg.created_at) if t is not None]
    return max(known) if known else None


def _recording_ended(contact: ContactState, at: datetime, out: list[cmd.Command]) -> None:
    """A recording an earlier run started whose bridge is gone: its end, for its retention
    (an end stored already is written again, as late or later)."""
    step = taken_up(contact)
    if step is not None:
        out.append(replace(step, ended_at=at))


def _contact_of_leg(ch: inp.LiveChannel) -> str | None:
    """The contact an agent or citizen leg of ours belongs to, answered or still ringing."""
    if isinstance(ch.role, legs.AgentLeg | legs.EscalationLeg):
        return ch.role.contact_id
    return legs.leg_contact(ch.id) if ch.dialling else None


def _outcome_unseen(record: ContactRecord) -> Outcome:
    if record.answered_at is not None:
        return Outcome.ANSWERED
    if legs.is_originated_leg(record.channel_id):
        return Outcome.CALLBACK_NOT_REACHED  # a callback being placed; its dialer retries it
    return Outcome.ABANDONED


def _arrival(ch: inp.LiveChannel) -> inp.CallArrived:
    assert isinstance(ch.role, legs.InboundCall)
    return inp.CallArrived(
        ch.id, ch.role.args, ch.exten, ch.caller_number, ch.caller_name, ch.created_at, ch.up
    )


def _endpoint(channel_name: str) -> str:
    """``PJSIP/1002-00000003`` -> ``PJSIP/1002``; ``Local/1002@agents-00000001;1`` ->
    ``Local/1002@agents``."""
    return channel_name.split(";", 1)[0].rsplit("-", 1)[0]
