"""The agent book: every agent's presence and activity, their day's counters, and the router's
view of them.

It owns the one copy of agent state (an :class:`~acd.engine.agent_state.AgentState` per agent).
Every change goes through :meth:`AgentBook.move`, which checks it against the transition tables
(:mod:`acd.engine.agent_state`), logs it, emits the agent event, and tells the router and the
per-line-code tallies what changed, derived from the state before and after the move (no flags
"as last told to the router").

Each agent event carries the agent's durable :class:`~foundation.contact.AgentRecord`, which is
stored and handed back by :meth:`AgentBook.restore` when an engine starts.  The day counters
also change outside a move (a contact counted as it is answered, talk time added as it ends):
such an agent is marked unsaved, and :meth:`AgentBook.emit_unsaved`, which the core runs after
every input, emits a record for whoever no move has emitted since.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.agent_state import AgentState, Handled, check_move
from acd.engine.agent_time import (
    count_presence,
    count_state,
    day_start,
    presence_key,
    restore_figures,
    roll_day,
)
from acd.engine.model import EngineConfig
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import (
    Activity,
    AgentEvent,
    AgentRecord,
    OfferResult,
    Presence,
)
from foundation.errors import RefusedTransition, UnknownAgent
from skills import Router
from skills.router import AgentAvailability

log = logging.getLogger(__name__)

__all__ = ["AgentBook", "day_start", "presence_key"]  # the last two: the desk's and app's


class AgentBook:
    def __init__(self, config: EngineConfig, router: Router) -> None:
        self._config = config
        self._router = router
        self._agents: dict[str, AgentState] = {a.id: AgentState(a) for a in config.agents}
        for agent in config.agents:
            router.set_agent(agent.id, agent.line_codes)
        self._offers_made = itertools.count(1)
        # Per line code: agents available (busy or not) and free (available and idle), kept
        # as agents change, so no question about a line code scans every agent.
        self._available: Counter[str] = Counter()
        self._free: Counter[str] = Counter()
        # Agents whose durable fields changed since their last event (an ordered set).
        self._unsaved: dict[str, None] = {}

    # ------------------------------------------------------------------ queries

    @property
    def agents(self) -> Mapping[str, AgentState]:
        return MappingProxyType(self._agents)

    def require(self, agent_id: str) -> AgentState:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def available_for(self, line_code: str) -> int:
        """Agents available (busy or not) who could answer this line code."""
        return self._available[line_code]

    def free_for(self, line_code: str) -> int:
        """Agents available and idle, who could be offered this line code now."""
        return self._free[line_code]

    def initial_events(self, now: datetime) -> list[cmd.Command]:
        """Every agent's starting state (for gauges that count agents)."""
        return [
            cmd.Emit(
                AgentEvent(a.id, now, a.presence, a.activity, a.reason, None, None, a.record(now))
            )
            for a in self._agents.values()
        ]

    # ------------------------------------------------------------------ requests (API)

    def login(self, ev: inp.AgentLogin, now: datetime, out: list[cmd.Command]) -> None:
        agent = self.require(ev.agent_id)
        if agent.presence is not Presence.LOGGED_OUT:
            return  # logging in twice is harmless
        self.move(agent, now, out, presence=Presence.AVAILABLE, idle_since=now)

    def logout(self, ev: inp.AgentLogout, now: datetime, out: list[cmd.Command]) -> None:
        agent = self.require(ev.agent_id)
        if agent.presence is not Presence.LOGGED_OUT:
            # A call in progress goes on; presence only governs new offers.
            self.move(agent, now, out, presence=Presence.LOGGED_OUT)

    def set_presence(self, ev: inp.SetPresence, now: datetime, out: list[cmd.Command]) -> None:
        # Every refusal is raised before anything changes.
        agent = self.require(ev.agent_id)
        if ev.presence is Presence.LOGGED_OUT:
            return self.logout(inp.AgentLogout(ev.agent_id), now, out)
        if agent.presence is Presence.LOGGED_OUT:
            raise RefusedTransition("agent_logged_out", f"agent {agent.id} must log in first")
        if ev.presence is Presence.AVAILABLE:
            if ev.reason is not None:
                raise RefusedTransition("invalid_reason", "available takes no reason")
            if agent.presence is not Presence.AVAILABLE:
                self.move(agent, now, out, presence=Presence.AVAILABLE, idle_since=now)
            return None
        if ev.reason not in self._config.presence_reasons:
            allowed = ", ".join(sorted(self._config.presence_reasons))
            raise RefusedTransition(
                "invalid_reason", f"not available needs a reason, one of: {allowed}"
            )
        self.move(agent, now, out, presence=Presence.NOT_AVAILABLE, reason=ev.reason)
        return None

    def timer(self, key: TimerKey, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agents.get(key.subject)
        wrapping_up = agent is not None and agent.activity is Activity.WRAP_UP
        if key.kind is TimerKind.WRAP_UP and agent is not None and wrapping_up:
            self.end_wrap_up(agent, now, out)

    def end_wrap_up(self, agent: AgentState, now: datetime, out: list[cmd.Command]) -> None:
        """Wrap-up over (its maximum reached, or the agent closed the contact): idle."""
        if agent.handled is not None:
            roll_day(agent, now)
            agent.wrap_up_today_s += (now - agent.handled.since).total_seconds()
            agent.handled = None
        out.append(cmd.CancelTimer(TimerKey(TimerKind.WRAP_UP, agent.id)))
        self.move(agent, now, out, activity=Activity.IDLE, idle_since=now)

    # ------------------------------------------------------------------ what offers do

    def reserve(
        self, agent: AgentState, contact_id: str, now: datetime, out: list[cmd.Command]
    ) -> None:
        check_move(agent, None, Activity.RESERVED)
        agent.contact_id = contact_id
        agent.last_offered_seq = next(self._offers_made)
        self.move(agent, now, out, activity=Activity.RESERVED)

    @staticmethod
    def is_ours(agent: AgentState) -> bool:
        """On a contact of this node (offered, talking or in wrap-up here); an agent busy
        without one is busy as another node said, in the shared pool."""
        return agent.contact_id is not None or agent.handled is not None

    def resume(
        self,
        agent: AgentState,
        contact_id: str,
        activity: Activity,
        now: datetime,
        out: list[cmd.Command],
    ) -> None:
        """After a restart: the idle agent's phone still rings for ``contact_id``, or the agent
        is still talking to its caller.  Reserved, then moved on, as the offer went."""
        if not self.is_ours(agent) and agent.activity is not Activity.IDLE:
            # The shared pool's word for it, set by the node this engine replaces (or by this
            # node before its restart): the call ARI still holds is ours from here.
            was = (agent.available, agent.offerable)
            count_state(agent, now)
            agent.activity = Activity.IDLE
            self._sync_router(agent, agent.logged_in, was[1], now)
            self._recount(agent, *was)
        self.reserve(agent, contact_id, now, out)
        self.move(agent, now, out, activity=activity)

    def answered(self, agent: AgentState, now: datetime, *, counts: bool) -> None:
        """The agent picked up an offer; ``counts``: a contact for today's tally."""
        if counts:
            roll_day(agent, now)
            agent.contacts_today += 1
        agent.missed_in_a_row = 0
        self._unsaved[agent.id] = None  # emitted with the move to on call that follows

    def missed(
        self, agent: AgentState, result: OfferResult, now: datetime, out: list[cmd.Command]
    ) -> None:
        """An offer came to nothing: a pause before the next one, and after too many in a row
        the agent goes not available."""
        agent.missed_in_a_row += 1
        self._unsaved[agent.id] = None
        delay = self._config.offer_delay_s.get(result, 0.0)
        agent.not_before = now + timedelta(seconds=delay) if delay > 0 else None
        missed_too_often = agent.missed_in_a_row >= self._config.missed_in_a_row
        if agent.presence is Presence.AVAILABLE and missed_too_often:
            # Not available in every line code at once: one presence, not one per queue.
            self.move(
                agent, now, out, presence=Presence.NOT_AVAILABLE, reason=self._config.missed_reason
            )

    def release(
        self,
        agent: AgentState,
        now: datetime,
        out: list[cmd.Command],
        *,
        wrap_up: bool,
        handled: Handled | None = None,
    ) -> None:
        """The agent's part in a contact is over; ``wrap_up``: after a conversation, so
        after-call work follows, at most the line code's wrap-up time, none when the agent
        already closed (registered) the contact while talking."""
        closed = agent.closed_contact_id is not None and agent.closed_contact_id == agent.contact_id
        agent.contact_id = None
        agent.closed_contact_id = None
        line_code = handled.record.line_code if handled is not None else None
        wrap_up_s = self._config.wrap_up_for(line_code)
        if wrap_up and wrap_up_s > 0 and not closed:
            agent.handled = handled
            self.move(agent, now, out, activity=Activity.WRAP_UP)
            out.append(cmd.StartTimer(TimerKey(TimerKind.WRAP_UP, agent.id), wrap_up_s))
        elif wrap_up:
            self.move(agent, now, out, activity=Activity.IDLE, idle_since=now)
        else:
            # A ring that came to nothing: the agent keeps their place in the idle order.
            self.move(agent, now, out, activity=Activity.IDLE)

    def offer_again(self, now: datetime) -> None:
        """Every agent free here whom the router took as busy (a reservation lost to
        another node, or refused while Redis was away) may be offered again: after a
        rejoin, Redis says afresh who is held."""
        for agent in self._agents.values():
            if not agent.offerable or self._router.holds(agent.id) is not None:
                continue
            if self._router.availability(agent.id) is AgentAvailability.BUSY:
                self._router.agent_free(agent.id, now.timestamp(), agent.routing_stats(now))

    def add_talk_time(self, agent_id: str | None, seconds: float, now: datetime) -> None:
        agent = self._agents.get(agent_id or "")
        if agent is not None:
            roll_day(agent, now)
            agent.talk_time_today_s += seconds
            self._unsaved[agent.id] = None  # the call has ended: often after the agent's move

    def emit_unsaved(self, now: datetime, out: list[cmd.Command]) -> None:
        """Emit the record of every agent whose durable fields changed with no move since."""
        for agent_id in self._unsaved:
            agent = self._agents[agent_id]
            out.append(
                cmd.Emit(
                    AgentEvent(
                        agent.id,
                        now,
                        agent.presence,
                        agent.activity,
                        agent.reason,
                        agent.presence,
                        agent.activity,
                        agent.record(now),
                    )
                )
            )
        self._unsaved.clear()

    # ------------------------------------------------------------------ after a restart

    def restore(
        self, records: Iterable[AgentRecord], now: datetime, out: list[cmd.Command]
    ) -> None:
        """Bring agents back as a previous engine stored them (before any call is known).

        Presence, reason and their start, the longest-idle order, and the day counters and
        time figures if they are of today (Europe/Brussels, :func:`restore_figures`); the
        activity stays idle.  An agent no longer
        configured is skipped; a reason no longer configured is kept (the agent chose it, and
        choosing any other is up to them).  Each is logged.
        """
        for record in records:
            agent = self._agents.get(record.agent_id)
            if agent is None:
                log.warning(
                    "stored agent %s is not configured any more: not restored", record.agent_id
                )
                continue
            if agent.logged_in:
                log.warning("agent %s is logged in already: stored state ignored", agent.id)
                continue
            self._restore_one(agent, record, now, out)

    def restore_figures(self, records: Iterable[AgentRecord], now: datetime) -> None:
        """Only the day's time figures, of agents whose presence and counters the shared pool
        brings back (several nodes): the pool holds no seconds per presence or occupancy."""
        for record in records:
            agent = self._agents.get(record.agent_id)
            if agent is not None and not agent.logged_in:
                restore_figures(agent, record, now)

    def _restore_one(
        self, agent: AgentState, record: AgentRecord, now: datetime, out: list[cmd.Command]
    ) -> None:
        restore_figures(agent, record, now)
        agent.missed_in_a_row = record.missed_in_a_row  # "in a row" spans days
        agent.idle_since = record.idle_since
        reason = record.reason
        if (
            record.presence is Presence.NOT_AVAILABLE
            and reason not in self._config.presence_reasons
        ):
            log.warning(
                "agent %s restored not available with reason %r, which is not configured any more",
                agent.id,
                reason,
            )
        if record.presence is Presence.AVAILABLE:
            reason = None
        if record.presence is not Presence.LOGGED_OUT:
            self.move(
                agent,
                now,
                out,
                presence=record.presence,
                reason=reason,
                since=record.presence_since or now,
            )
        else:
            agent.presence_since = record.presence_since
        log.info(
            "agent %s restored: %s%s, %d contact(s) today",
            agent.id,
            agent.presence,
            f" ({agent.reason})" if agent.reason else "",
            agent.contacts_today,
        )

    # ------------------------------------------------------------------ the shared pool

    def shared(self, ev: inp.AgentShared, now: datetime, out: list[cmd.Command]) -> None:
        """Another node changed the agent (acd.state.pool): this replica follows, without the
        transition checks (a replica may have missed steps) and without emitting anything for
        the store (the node that made the change stores it).  An activity change is ignored
        while this node has the agent on a contact of its own: the reservation says the agent
        is ours, so the change is older than ours."""
        agent = self._agents.get(ev.agent_id)
        if agent is None:
            return  # not configured on this node
        before = (agent.presence, agent.activity, agent.reason)
        was = (agent.logged_in, agent.available, agent.offerable)
        follows_activity = ev.activity is not None and not self.is_ours(agent)
        after = (
            ev.presence.presence if ev.presence is not None else agent.presence,
            ev.activity.activity
            if ev.activity is not None and follows_activity
            else agent.activity,
        )
        if after != before[:2]:
            count_state(agent, now)  # the replica's time figures, stored with its records
        if ev.presence is not None:
            new = (ev.presence.presence, ev.presence.reason)
            if new != (agent.presence, agent.reason):
                count_presence(agent, now)
                agent.presence, agent.reason = new
                agent.presence_since = ev.presence.since
        if ev.activity is not None and follows_activity:
            agent.activity = ev.activity.activity
            agent.idle_since = ev.activity.idle_since
        if ev.counters is not None and _not_older(ev.counters.day, agent.stats_day):
            counters = ev.counters
            if counters.day != agent.stats_day:
                roll_day(agent, now)  # the other node's new day: this one's figures too
            agent.stats_day, agent.contacts_today = counters.day, counters.contacts
            agent.talk_time_today_s = counters.talk_time_s
            agent.missed_in_a_row = counters.missed_in_a_row
        self._sync_router(agent, was[0], was[2], now)
        if ev.released and was[2] and agent.offerable:
            # Offered again: this router may have lost a race for the agent, which left it
            # busy here until the holder let go.
            self._router.agent_free(agent.id, now.timestamp(), agent.routing_stats(now))
        self._recount(agent, was[1], was[2])
        if (agent.presence, agent.activity, agent.reason) != before or ev.counters is not None:
            out.append(
                cmd.Emit(
                    AgentEvent(
                        agent.id,
                        now,
                        agent.presence,
                        agent.activity,
                        agent.reason,
                        *before[:2],
                        agent.record(now),
                        remote=True,
                    )
                )
            )

    # ------------------------------------------------------------------ the one place agents change

    def move(
        self,
        agent: AgentState,
        now: datetime,
        out: list[cmd.Command],
        *,
        presence: Presence | None = None,
        activity: Activity | None = None,
        reason: str | None = None,
        idle_since: datetime | None = None,
        since: datetime | None = None,
    ) -> None:
        """Change presence (with its reason) and/or activity; ``since``: when the presence
        began, if not now (a restored agent's)."""
        check_move(agent, presence, activity)
        before = (agent.presence, agent.activity, agent.reason)
        was_logged_in, was_available, was_offerable = (
            agent.logged_in,
            agent.available,
            agent.offerable,
        )
        if (presence or agent.presence, activity or agent.activity) != before[:2]:
            count_state(agent, now)
        if presence is not None:  # a reason goes with a presence and only with one
            if (presence, reason) != (before[0], before[2]):
                count_presence(agent, now)
            agent.presence = presence
            agent.reason = reason
            if (presence, reason) != (before[0], before[2]):
                agent.presence_since = since or now
        if activity is not None:
            agent.activity = activity
        if idle_since is not None and idle_since != agent.idle_since:
            agent.idle_since = idle_since
            self._unsaved[agent.id] = None
        self._sync_router(agent, was_logged_in, was_offerable, now)
        self._recount(agent, was_available, was_offerable)
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
        self._unsaved.pop(agent.id, None)
        record = agent.record(now)
        out.append(
            cmd.Emit(
                AgentEvent(
                    agent.id, now, agent.presence, agent.activity, agent.reason, *before[:2], record
                )
            )
        )

    def _sync_router(
        self, agent: AgentState, was_logged_in: bool, was_offerable: bool, now: datetime
    ) -> None:
        """Tell the router what the move means for offers."""
        if agent.logged_in != was_logged_in:
            self._router.set_logged_in(agent.id, agent.logged_in)
            was_offerable = False  # logging in or out leaves the agent busy in the router
        if agent.offerable and not was_offerable:
            roll_day(agent, now)
            not_before = agent.not_before.timestamp() if agent.not_before else None
            self._router.agent_free(agent.id, now.timestamp(), agent.routing_stats(now), not_before)
        elif was_offerable and not agent.offerable:
            self._router.agent_busy(agent.id)
        agent.not_before = None  # a pause applies to the next time the agent is free only

    def _recount(self, agent: AgentState, was_available: bool, was_free: bool) -> None:
        available, free = agent.available, agent.offerable
        if (available, free) == (was_available, was_free):
            return
        for code in agent.config.line_codes:
            self._available[code] += available - was_available
            self._free[code] += free - was_free


def _not_older(day: date | None, than: date | None) -> bool:
    """Counters of ``day`` are not of a day before ``than`` (a pool's record of yesterday
    would hide today's figures restored from SQL)."""
    return day is None or than is None or day >= than
