"""The callback dialer: releases stored callbacks to the engine at calm moments, and records
how each attempt ended.  The I/O edge of ``callbacks.schedule``'s pure rules.

Every ``interval_s`` (and once at start, after recovering what a crash left ``dialing``), for
each open line with callbacks and each of its line codes: when no more than the configured
number of live callers wait and enough eligible agents are idle, it claims the oldest due
callbacks (an atomic conditional update in SQL: a second engine can never claim the same
attempt) and hands them to the core, never more than there are idle eligible agents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.contacts import WAITING, Phase
from acd.engine.model import LineConfig
from acd.engine.runtime import EngineRuntime
from callbacks import AttemptResult, Callback, CallbackRules, CallbackStatus, CallbackStore
from callbacks.schedule import after_attempt, how_many_to_release, is_calm, priority
from foundation.calendars import is_open
from foundation.clock import Clock
from sla.callback_metrics import DUE_SOON_S, CallbackMetrics

log = logging.getLogger(__name__)


class CallbackDialer:
    def __init__(
        self,
        runtime: EngineRuntime,
        store: CallbackStore,
        rules: Mapping[str, CallbackRules],
        clock: Clock,
        *,
        node_id: str | None = None,
        interval_s: float = 15.0,
        metrics: CallbackMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._overdue_at: datetime | None = None
        self._runtime = runtime
        self._store = store
        self._rules = dict(rules)  # per line id, for the lines that offer callbacks
        self._clock = clock
        self.node_id = node_id or f"acd-{uuid.uuid4().hex[:8]}"
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        runtime.on_finish_callback = self.finish
        runtime.on_place_callback = self.place_now

    async def start(self) -> None:
        recovered = await self._store.recover(self._clock.now())
        for callback in recovered:
            log.warning(
                "callback %s was being dialled at a crash: now %s", callback.id, callback.status
            )
        self._task = asyncio.create_task(self._run(), name="callback-dialer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # Not before the first resynchronisation: an agent idle on paper may still be talking
        # in a bridge an earlier run left, until the runtime has taken that call up.
        await self._runtime.resynced.wait()
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("callback dialer tick failed; trying again later")
            await asyncio.sleep(self._interval_s)

    async def tick(self) -> int:
        """Release what is calm enough now; returns how many callbacks were handed over."""
        released = 0
        now = self._clock.now()
        stale = self._overdue_at is None or (now - self._overdue_at).total_seconds() >= 300
        if self._metrics is not None and stale:  # a gauge for people: minutes old is fine
            self._overdue_at = now
            overdue = await self._store.count_overdue(now)
            soon = await self._store.count_overdue(now + timedelta(seconds=DUE_SOON_S))
            self._metrics.set_overdue(overdue)
            self._metrics.set_due_soon(soon - overdue)
            self._metrics.set_open(await self._store.count_open())
        for line in self._runtime.view.config.lines:
            rules = self._rules.get(line.id)
            if rules is None or (
                line.calendar is not None and not is_open(line.calendar, self._clock.now())
            ):
                continue
            for line_code in line.line_codes:
                if line.callbacks is not None and line.callbacks.virtual_hold:
                    released += await self._keep_places(line, line_code)
                released += await self._release(line, line_code, rules)
        return released

    async def _keep_places(self, line: LineConfig, line_code: str) -> int:
        """Virtual hold: a callback asked for in a call holds that caller's place in the queue,
        so one left pending (a restart lost the engine's queue, or the claim at request time
        failed) goes back into the queue at once, not at the next calm moment.  Its place is
        its request time: the wait before it is in the contact record, not in the store.  An
        attempt that rang the citizen ends the place; retries follow the calm rule."""
        handed = 0
        now = self._clock.now()
        for due in await self._store.due(now, line_code=line_code, line=line.id):
            if due.contact_id is None or due.citizen_attempts or due.next_attempt_at is not None:
                continue
            claimed = await self._store.claim(due.id, self.node_id, self._clock.now())
            if claimed is None or claimed.current_attempt is None:
                continue
            log.info("virtual-hold callback %s back in the queue at its place", claimed.id)
            self._hand_over(claimed, claimed.requested_at)
            handed += 1
        return handed

    async def _release(self, line: LineConfig, line_code: str, rules: CallbackRules) -> int:
        view = self._runtime.view
        contacts = list(view.contacts.values())
        waiting_live = sum(
            1
            for c in contacts
            if c.callback is None and c.record.line_code == line_code and c.phase in WAITING
        )
        idle = view.free_for(line_code)
        placing = sum(
            1
            for c in contacts
            if c.callback is not None
            and c.record.line_code == line_code
            and c.phase is Phase.QUEUED
        )
        if not is_calm(waiting_live, idle, rules.calm):
            return 0
        room = how_many_to_release(idle, placing, rules.calm)
        if room <= 0:
            return 0
        now = self._clock.now()
        handed = 0
        for due in await self._store.due(now, line_code=line_code, line=line.id, limit=room):
            claimed = await self._store.claim(due.id, self.node_id, self._clock.now())
            if claimed is None or claimed.current_attempt is None:
                continue  # another node took it, or its number is being dialled already
            self._hand_over(claimed, claimed.requested_at)
            handed += 1
        return handed

    def _count(self, callback: Callback, result: AttemptResult) -> None:
        assert self._metrics is not None
        self._metrics.attempt(callback.line, result)
        if callback.status is CallbackStatus.COMPLETED:
            self._metrics.completed(callback.line, callback.completed_within_deadline)
        elif not callback.status.is_open:
            self._metrics.ended(callback.line, callback.status)

    async def place_now(self, c: cmd.PlaceCallbackNow) -> None:
        """Virtual hold: claim at once; the caller's queue time is the callback's place."""
        try:
            claimed = await self._store.claim(c.callback_id, self.node_id, self._clock.now())
        except Exception:
            log.exception(
                "could not claim virtual-hold callback %s; the dialer will retry it", c.callback_id
            )
            return
        if claimed is not None and claimed.current_attempt is not None:
            self._hand_over(claimed, c.waiting_since)

    def _hand_over(self, claimed: Callback, waiting_since: datetime) -> None:
        assert claimed.current_attempt is not None
        self._runtime.submit(
            inp.CallbackDue(
                callback_id=claimed.id,
                attempt_seq=claimed.current_attempt.seq,
                number=claimed.number,
                line=claimed.line,
                line_code=claimed.line_code,
                requested_at=waiting_since,
                priority=priority(claimed, self._clock.now()),
            )
        )

    async def finish(self, c: cmd.FinishCallback) -> None:
        """Record an attempt's end; a failure here is logged, and recovery at the next start
        resolves the attempt (it stays ``dialing`` until then, so it is never dialled twice)."""
        now = self._clock.now()
        try:
            callback = await self._store.get(c.callback_id)
            rules = self._rules.get(c.line)
            if callback is None or rules is None:
                log.error("callback %s: unknown callback or line %r", c.callback_id, c.line)
                return
            result = c.result
            outcome = after_attempt(callback, result, now, rules)
            done = await self._store.finish_attempt(
                c.callback_id, c.attempt_seq, result, now, outcome, agent_id=c.agent_id
            )
            if done is not None and self._metrics is not None:
                self._count(done, result)
            log.info(
                "callback %s attempt %d: %s -> %s",
                c.callback_id,
                c.attempt_seq,
                result,
                outcome.status,
            )
        except Exception:
            log.exception("could not record callback %s attempt %d", c.callback_id, c.attempt_seq)
