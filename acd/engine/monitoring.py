"""Listen, whisper and barge: a supervisor's own phone joined to an agent's call.

As recorded on a real Asterisk (``supervisor_whisper_barge.jsonl``): the supervisor's phone
is called (``supervisor,<agent>``); when it answers, for listen and whisper a snoop channel is
made on the agent's leg (spy both; whisper out for whisper) and bridged with the supervisor's
phone in a bridge of their own; for barge the supervisor's phone is added to the call's own
bridge.  Asking again with another mode during a session switches it on the same phone call.

A session ends when the supervisor stops it (API), hangs up, does not answer, or when the
agent's call ends or moves on (the snoop channel goes with the agent's leg): what is left of
it (the phone, the snoop, the spy bridge) is hung up or destroyed, and the end is told with
its reason (:class:`~acd.engine.commands.MonitorEvent`) for the audit log and the live pages.
Sessions are not taken up after a restart: the supervisor's phone is hung up then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.agents import AgentBook
from acd.engine.contacts import ContactTable, IdFactory, Phase
from acd.engine.model import EngineConfig
from foundation.contact import Activity
from foundation.errors import RefusedTransition

log = logging.getLogger(__name__)
MonitorMode = inp.MonitorMode


@dataclass(slots=True)
class MonitorSession:
    agent_id: str
    contact_id: str
    agent_leg: str  # the leg listened to: a session ends when the call is not on it any more
    mode: MonitorMode
    endpoint: str
    supervisor: str
    leg_id: str  # the supervisor's phone
    started: bool = False  # the phone answered and was joined
    snoop_id: str | None = None
    spy_bridge_id: str | None = None
    call_bridge_id: str | None = None  # barge: the call's bridge the phone is in


class Monitoring:
    def __init__(
        self, config: EngineConfig, ids: IdFactory, agents: AgentBook, table: ContactTable
    ) -> None:
        self._config = config
        self._ids = ids
        self._agents = agents
        self._table = table
        self._sessions: dict[str, MonitorSession] = {}  # by agent id
        self._by_channel: dict[str, str] = {}  # phone and snoop channel -> agent id

    @property
    def sessions(self) -> dict[str, MonitorSession]:
        return dict(self._sessions)

    def owns(self, channel_id: str) -> bool:
        return channel_id in self._by_channel

    def resources(self) -> frozenset[str]:
        """Channels and bridges the sessions hold (a resync must leave them alone)."""
        found: set[str] = set(self._by_channel)
        for session in self._sessions.values():
            if session.spy_bridge_id is not None:
                found.add(session.spy_bridge_id)
        return frozenset(found)

    # ------------------------------------------------------------------ requests (API)

    def request(self, ev: inp.MonitorRequested, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agents.require(ev.agent_id)
        contact = self._table.get(agent.contact_id or "")
        if (
            contact is None
            or contact.phase is not Phase.CONNECTED
            or agent.activity is not Activity.ON_CALL
            or contact.agent_channel is None
        ):
            raise RefusedTransition("not_on_call", f"agent {agent.id} is not talking to a caller")
        session = self._sessions.get(agent.id)
        if session is not None:
            if session.supervisor != ev.supervisor:
                raise RefusedTransition(
                    "already_monitored", f"agent {agent.id}'s call is monitored by another"
                )
            self._switch(session, ev.mode, out)
            return
        leg_id = legs.leg_id(legs.SUPERVISOR_PREFIX, self._ids(legs.SUPERVISOR_PREFIX), contact.id)
        session = MonitorSession(
            agent.id,
            contact.id,
            contact.agent_channel,
            ev.mode,
            ev.endpoint,
            ev.supervisor,
            leg_id,
        )
        self._sessions[agent.id] = session
        self._by_channel[leg_id] = agent.id
        log.info("%s monitors agent %s (%s) from %s", ev.supervisor, agent.id, ev.mode, ev.endpoint)
        out.append(
            cmd.Originate(
                leg_id,
                ev.endpoint,
                legs.supervisor_leg_args(agent.id),
                self._config.monitor_caller_id,
                self._config.ring_timeout_s,
                None,
            )
        )

    def stop(self, ev: inp.MonitorStopRequested, now: datetime, out: list[cmd.Command]) -> None:
        session = self._sessions.get(ev.agent_id)
        if session is None:
            self._agents.require(ev.agent_id)
            raise RefusedTransition("not_monitored", f"agent {ev.agent_id} is not monitored")
        self._end(session, "stopped", now, out)

    # ------------------------------------------------------------------ the phone and the call

    def answered(self, ev: inp.MonitorLegEntered, now: datetime, out: list[cmd.Command]) -> None:
        agent_id = self._by_channel.get(ev.channel_id)
        session = self._sessions.get(agent_id or "")
        if session is None:
            log.info("supervisor leg %s answered for no session; hanging up", ev.channel_id)
            out.append(cmd.Hangup(ev.channel_id))
            return
        if ev.channel_id == session.snoop_id and session.spy_bridge_id is not None:
            # Only now may it be bridged ("Channel not in Stasis application" before).
            out.append(cmd.AddToBridge(session.spy_bridge_id, (ev.channel_id, session.leg_id)))
            return
        if ev.channel_id != session.leg_id or session.started:
            return  # a duplicate
        session.started = True
        self._join(session, out)
        out.append(cmd.NotifyMonitor(self._event(session, "started", now)))

    def channel_gone(self, channel_id: str, now: datetime, out: list[cmd.Command]) -> None:
        session = self._sessions.get(self._by_channel.get(channel_id, ""))
        if session is None:
            return
        if channel_id == session.leg_id:
            reason = "supervisor_hung_up" if session.started else "not_answered"
        else:  # the snoop: it goes with the agent's leg
            reason = "call_ended"
        self._end(session, reason, now, out, gone=channel_id)

    def sweep(self, now: datetime, out: list[cmd.Command]) -> None:
        """After every input: a session whose call ended or moved on (transferred, the agent
        gone) ends too; the supervisor's phone is not left alone in a bridge or on a snoop."""
        for session in list(self._sessions.values()):
            contact = self._table.get(session.contact_id)
            if (
                contact is None
                or contact.phase is not Phase.CONNECTED
                or contact.agent_channel != session.agent_leg
            ):
                self._end(session, "call_ended", now, out)

    def resynced(self, live: set[str], now: datetime, out: list[cmd.Command]) -> None:
        for channel_id in [c for c in self._by_channel if c not in live]:
            self.channel_gone(channel_id, now, out)

    # ------------------------------------------------------------------ steps

    def _join(self, session: MonitorSession, out: list[cmd.Command]) -> None:
        contact = self._table.get(session.contact_id)
        assert contact is not None  # sweep ends a session whose contact is gone
        if session.mode is MonitorMode.BARGE:
            if contact.bridge_id is not None:
                session.call_bridge_id = contact.bridge_id
                contact.bridge_shared = True
                out.append(cmd.AddToBridge(contact.bridge_id, (session.leg_id,)))
            return
        snoop_id = legs.leg_id(legs.SNOOP_PREFIX, self._ids(legs.SNOOP_PREFIX), contact.id)
        bridge_id = self._ids(legs.SPY_BRIDGE_PREFIX)
        session.snoop_id = snoop_id
        session.spy_bridge_id = bridge_id
        self._by_channel[snoop_id] = session.agent_id
        whisper = "out" if session.mode is MonitorMode.WHISPER else "none"
        # Both bridged when the snoop enters the app (answered).
        out += [
            cmd.Snoop(
                session.agent_leg, snoop_id, "both", whisper, legs.snoop_leg_args(session.agent_id)
            ),
            cmd.CreateBridge(bridge_id),
        ]

    def _switch(self, session: MonitorSession, mode: MonitorMode, out: list[cmd.Command]) -> None:
        """Another mode on the same phone call: the old join undone, the new one made."""
        if mode is session.mode:
            return
        log.info("agent %s's monitoring: %s -> %s", session.agent_id, session.mode, mode)
        session.mode = mode
        if not session.started:
            return  # joined in the new mode when the phone answers
        self._unjoin(session, out)
        self._join(session, out)

    def _unjoin(
        self,
        session: MonitorSession,
        out: list[cmd.Command],
        gone: str | None = None,
        *,
        keep_phone: bool = True,
    ) -> None:
        """Undo the join; ``keep_phone``: the supervisor's phone stays up (a mode switch), so
        it is taken out of the bridge rather than left to its hang-up."""
        if session.snoop_id is not None:
            if session.snoop_id != gone:
                out.append(cmd.Hangup(session.snoop_id))
            self._by_channel.pop(session.snoop_id, None)
            session.snoop_id = None
        if session.spy_bridge_id is not None:
            if keep_phone and session.leg_id != gone:
                out.append(cmd.RemoveFromBridge(session.spy_bridge_id, (session.leg_id,)))
            out.append(cmd.DestroyBridge(session.spy_bridge_id))
            session.spy_bridge_id = None
        if session.call_bridge_id is not None:
            if keep_phone and session.leg_id != gone:
                out.append(cmd.RemoveFromBridge(session.call_bridge_id, (session.leg_id,)))
            session.call_bridge_id = None

    def _end(
        self,
        session: MonitorSession,
        reason: str,
        now: datetime,
        out: list[cmd.Command],
        gone: str | None = None,
    ) -> None:
        self._unjoin(session, out, gone, keep_phone=False)
        if session.leg_id != gone:
            out.append(cmd.Hangup(session.leg_id))
        self._by_channel.pop(session.leg_id, None)
        del self._sessions[session.agent_id]
        log.info("monitoring of agent %s ended: %s", session.agent_id, reason)
        out.append(cmd.NotifyMonitor(self._event(session, "ended", now, reason)))

    @staticmethod
    def _event(
        session: MonitorSession, kind: str, now: datetime, reason: str | None = None
    ) -> cmd.MonitorEvent:
        return cmd.MonitorEvent(
            kind,
            now,
            session.agent_id,
            session.contact_id,
            session.supervisor,
            session.mode.value,
            session.endpoint,
            reason,
        )
