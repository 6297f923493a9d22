"""The durable callback store, in SQLite or PostgreSQL.  Run :func:`callbacks.migrate` first.

Every write is awaited and committed before it returns: the caller hears "we will call you
back" only once the callback is on disk.  Every state change is one conditional UPDATE
(``... WHERE status = 'pending'``), so between engine nodes sharing a database exactly one wins
and the others see "not changed"; the pure rules in :mod:`callbacks.schedule` decide what the
change is.  Two partial unique indexes (see :mod:`callbacks.schema`) keep one open callback per
number and line code and one dialling callback per number even when two nodes race, and an
attempt's primary key ``(callback_id, seq)`` means the same attempt is never recorded, so
never placed, twice.

The statements themselves are in :mod:`callbacks.sql`.
"""

from __future__ import annotations

import builtins
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Update, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select

from callbacks import sql
from callbacks.model import OPEN_STATUSES, AttemptResult, Callback, CallbackStatus
from callbacks.schedule import Outcome, expire, resolve_after_crash
from callbacks.sql import ATTEMPTS, CALLBACKS, create_store_engine
from foundation.errors import CallbackInvalid, CallbackNotFound, CallbackWrongState
from foundation.sql import SqlStore

log = logging.getLogger(__name__)

DEFAULT_LIST_LIMIT = 1000
DEFAULT_DUE_LIMIT = 100
# A reschedule "now" from a client whose clock is a little behind is taken as now.
RESCHEDULE_GRACE = timedelta(minutes=1)

# A request or claim that lost a race on a unique index is tried again this often: the second
# time it finds the winner's row.
_RACE_RETRIES = 3


class CallbackStore(SqlStore):
    """Callbacks in SQLite or PostgreSQL; all times aware (returned in UTC)."""

    @classmethod
    def create_engine(cls, url: str) -> AsyncEngine:
        return create_store_engine(url)

    # --- requests ------------------------------------------------------------------------

    async def request(
        self,
        number: str,
        line: str,
        line_code: str,
        contact_id: str | None,
        requested_at: datetime,
        due_by: datetime,
        idempotency_key: str,
        *,
        priority: int = 0,
    ) -> tuple[Callback, bool]:
        """Store a callback request; returns the callback and whether it was merged into an
        open one (pending or dialing) for the same number and line code.

        Idempotent on ``idempotency_key``: the same key again (a retry after a timeout, a
        second node) returns the same callback and the same ``merged`` flag, changing nothing.
        """
        _aware(requested_at, "requested_at")
        _aware(due_by, "due_by")
        for attempt in range(_RACE_RETRIES):
            try:
                with self._hold():
                    async with self._engine.begin() as connection:
                        return await sql.request_or_merge(
                            connection,
                            {
                                "number": number,
                                "line": line,
                                "line_code": line_code,
                                "contact_id": contact_id,
                                "requested_at": requested_at,
                                "due_by": due_by,
                                "priority": priority,
                            },
                            idempotency_key,
                        )
            except IntegrityError:
                # Another request for the same key, or for the same number and line code,
                # committed first: the next round finds its row.
                if attempt == _RACE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the dialer ----------------------------------------------------------------------

    async def due(
        self,
        now: datetime,
        *,
        line_code: str | None = None,
        line: str | None = None,
        limit: int = DEFAULT_DUE_LIMIT,
    ) -> builtins.list[Callback]:
        """Pending callbacks that may be dialled now, oldest request first: next attempt due,
        deadline not passed, and no other callback to the same number being dialled."""
        _aware(now, "now")
        other = CALLBACKS.alias("other")
        dialing_same_number = exists().where(
            other.c.number == CALLBACKS.c.number, other.c.status == CallbackStatus.DIALING
        )
        query = select(CALLBACKS).where(
            CALLBACKS.c.status == CallbackStatus.PENDING,
            or_(CALLBACKS.c.next_attempt_at.is_(None), CALLBACKS.c.next_attempt_at <= now),
            CALLBACKS.c.due_by > now,
            ~dialing_same_number,
        )
        if line_code is not None:
            query = query.where(CALLBACKS.c.line_code == line_code)
        if line is not None:
            query = query.where(CALLBACKS.c.line == line)
        query = query.order_by(CALLBACKS.c.requested_at, CALLBACKS.c.id).limit(limit)
        return await self._read(query)

    async def claim(
        self, callback_id: str, node_id: str, now: datetime, *, agent_id: str | None = None
    ) -> Callback | None:
        """Move a due pending callback to dialing for ``node_id`` and open its next attempt,
        atomically; the claimed callback (its attempt under way last), or None when someone
        else claimed it first, it is not due, or its number is being dialled already."""
        _aware(now, "now")
        claim = (
            update(CALLBACKS)
            .where(
                CALLBACKS.c.id == callback_id,
                CALLBACKS.c.status == CallbackStatus.PENDING,
                or_(CALLBACKS.c.next_attempt_at.is_(None), CALLBACKS.c.next_attempt_at <= now),
                CALLBACKS.c.due_by > now,
            )
            .values(
                status=CallbackStatus.DIALING,
                attempt_count=CALLBACKS.c.attempt_count + 1,
                claimed_by=node_id,
                updated_at=now,
            )
            .returning(CALLBACKS.c.attempt_count)
        )
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    seq = (await connection.execute(claim)).scalar_one_or_none()
                    if seq is None:
                        return None
                    await connection.execute(
                        insert(ATTEMPTS).values(
                            callback_id=callback_id,
                            seq=seq,
                            node_id=node_id,
                            agent_id=agent_id,
                            started_at=now,
                        )
                    )
                    return (await sql.load(connection, [callback_id]))[0]
        except IntegrityError:
            # Another callback to the same number is being dialled (or, should a row ever be
            # out of step, this attempt exists already): not ours to place.
            return None

    async def finish_attempt(
        self,
        callback_id: str,
        seq: int,
        result: AttemptResult,
        now: datetime,
        outcome: Outcome,
        *,
        agent_id: str | None = None,
    ) -> Callback | None:
        """Close attempt ``seq`` with ``result`` and move the callback as ``outcome`` says
        (from :func:`callbacks.schedule.after_attempt`).  None, changing nothing, when that
        attempt is no longer under way (finished already, or resolved by a recovery)."""
        _aware(now, "now")
        if outcome.status is CallbackStatus.DIALING:
            raise ValueError("an attempt cannot end with the callback still dialing")
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    if not await sql.close_attempt(
                        connection, callback_id, seq, result, now, agent_id
                    ):
                        return None
                    completed_by = agent_id if outcome.status is CallbackStatus.COMPLETED else None
                    await sql.apply_outcome(
                        connection, callback_id, seq, outcome, now, completed_by
                    )
                    return (await sql.load(connection, [callback_id]))[0]
        except sql.Lost:
            return None

    async def recover(
        self,
        now: datetime,
        *,
        node_id: str | None = None,
        stale_before: datetime | None = None,
    ) -> builtins.list[Callback]:
        """Resolve callbacks left dialing by a crash (see
        :func:`callbacks.schedule.resolve_after_crash`): the attempt under way is closed as
        interrupted; the callback is pending again, or expired.  Returns the ones resolved.

        With ``node_id``, only that node's (a node restarting under the same id); with
        ``stale_before``, only attempts started before then (a sweep for nodes that died,
        which must not touch a live node's ringing call).  With neither, all of them: for a
        single engine at start.
        """
        _aware(now, "now")
        query = select(CALLBACKS.c.id).where(CALLBACKS.c.status == CallbackStatus.DIALING)
        if node_id is not None:
            query = query.where(CALLBACKS.c.claimed_by == node_id)
        if stale_before is not None:
            _aware(stale_before, "stale_before")
            query = query.where(
                exists().where(
                    ATTEMPTS.c.callback_id == CALLBACKS.c.id,
                    ATTEMPTS.c.seq == CALLBACKS.c.attempt_count,
                    ATTEMPTS.c.started_at < stale_before,
                )
            )
        with self._hold():
            async with self._engine.connect() as connection:
                ids = list((await connection.scalars(query.order_by(CALLBACKS.c.id))).all())
        resolved = []
        for callback_id in ids:
            callback = await self._resolve(callback_id, now)
            if callback is not None:
                log.warning(
                    "callback %s was dialing when its engine stopped: now %s",
                    callback_id,
                    callback.status.value,
                )
                resolved.append(callback)
        return resolved

    async def _resolve(self, callback_id: str, now: datetime) -> Callback | None:
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    found = await sql.load(connection, [callback_id])
                    outcome = resolve_after_crash(found[0], now) if found else None
                    if outcome is None:
                        return None
                    seq = found[0].attempts[-1].seq if found[0].attempts else 0
                    await sql.close_attempt(
                        connection, callback_id, seq, AttemptResult.INTERRUPTED, now, None
                    )
                    await sql.apply_outcome(connection, callback_id, seq, outcome, now, None)
                    return (await sql.load(connection, [callback_id]))[0]
        except sql.Lost:
            return None

    async def expire_overdue(self, now: datetime) -> builtins.list[Callback]:
        """Expire every pending callback whose deadline has passed; returns them."""
        _aware(now, "now")
        query = select(CALLBACKS).where(
            CALLBACKS.c.status == CallbackStatus.PENDING, CALLBACKS.c.due_by <= now
        )
        expired = []
        with self._hold():
            async with self._engine.begin() as connection:
                for callback in await sql.fetch(connection, query):
                    outcome = expire(callback, now)
                    if outcome is None:  # pragma: no cover - the query already says so
                        continue
                    changed = await connection.execute(
                        update(CALLBACKS)
                        .where(
                            CALLBACKS.c.id == callback.id,
                            CALLBACKS.c.status == CallbackStatus.PENDING,
                        )
                        .values(sql.outcome_values(outcome, now))
                    )
                    if changed.rowcount:
                        expired.append(callback.id)
                return await sql.load(connection, expired)

    # --- supervisors -------------------------------------------------------------------------

    async def get(self, callback_id: str) -> Callback | None:
        with self._hold():
            async with self._engine.connect() as connection:
                found = await sql.load(connection, [callback_id])
        return found[0] if found else None

    async def list(
        self,
        status: CallbackStatus | None = None,
        line: str | None = None,
        due_before: datetime | None = None,
        limit: int = DEFAULT_LIST_LIMIT,
        *,
        line_code: str | None = None,
    ) -> builtins.list[Callback]:
        """Callbacks in request order, oldest first, optionally filtered."""
        query = select(CALLBACKS)
        if status is not None:
            query = query.where(CALLBACKS.c.status == CallbackStatus(status))
        if line is not None:
            query = query.where(CALLBACKS.c.line == line)
        if line_code is not None:
            query = query.where(CALLBACKS.c.line_code == line_code)
        if due_before is not None:
            query = query.where(CALLBACKS.c.due_by < _aware(due_before, "due_before"))
        query = query.order_by(CALLBACKS.c.requested_at, CALLBACKS.c.id).limit(limit)
        return await self._read(query)

    async def count_open(self) -> int:
        """Open callbacks (pending or dialing), whatever their deadline."""
        query = (
            select(func.count())
            .select_from(CALLBACKS)
            .where(CALLBACKS.c.status.in_(sorted(OPEN_STATUSES)))
        )
        with self._hold():
            async with self._engine.connect() as connection:
                return int((await connection.execute(query)).scalar_one())

    async def requested_between(self, start: datetime, end: datetime) -> builtins.list[Callback]:
        """Every callback requested in ``[start, end)``, oldest first (the reports)."""
        query = (
            select(CALLBACKS)
            .where(
                CALLBACKS.c.requested_at >= _aware(start, "start"),
                CALLBACKS.c.requested_at < _aware(end, "end"),
            )
            .order_by(CALLBACKS.c.requested_at, CALLBACKS.c.id)
        )
        return await self._read(query)

    async def count_overdue(self, now: datetime) -> int:
        """Open callbacks (pending or dialing) past their deadline."""
        query = (
            select(func.count())
            .select_from(CALLBACKS)
            .where(
                CALLBACKS.c.status.in_(sorted(OPEN_STATUSES)),
                CALLBACKS.c.due_by <= _aware(now, "now"),
            )
        )
        with self._hold():
            async with self._engine.connect() as connection:
                return int((await connection.execute(query)).scalar_one())

    async def cancel(self, callback_id: str, reason: str, now: datetime) -> Callback:
        """Cancel a pending callback, with the reason supervisors will read."""
        outcome = Outcome(CallbackStatus.CANCELLED, reason=reason)
        change = update(CALLBACKS).values(sql.outcome_values(outcome, _aware(now, "now")))
        return await self._change(callback_id, change, "cancelled")

    async def reschedule(self, callback_id: str, at: datetime, now: datetime) -> Callback:
        """Set when a pending callback is tried next.

        ``at`` must be before its deadline, and not in the past: a time up to
        :data:`RESCHEDULE_GRACE` ago (a client's clock a little behind) means now, an earlier
        one is refused (it would be dialled at once, which is not what a supervisor who typed
        a date asked for).  A time outside the line's opening hours is kept: the dialer does
        not dial a closed line, so it is tried at the next opening."""
        if at < now - RESCHEDULE_GRACE:
            raise CallbackInvalid(
                callback_id,
                f"cannot reschedule callback {callback_id!r} to {at.isoformat()}: that is in the "
                f"past (now {now.astimezone(UTC).isoformat(timespec='seconds')})",
            )
        at = max(at, now)
        change = (
            update(CALLBACKS)
            .where(CALLBACKS.c.due_by > _aware(at, "at"))
            .values(next_attempt_at=at, updated_at=_aware(now, "now"))
        )
        try:
            return await self._change(callback_id, change, "rescheduled")
        except sql.Lost:
            raise CallbackInvalid(
                callback_id,
                f"cannot reschedule callback {callback_id!r} to {at.isoformat()}: its deadline "
                "is earlier, and a callback is never tried after its deadline",
            ) from None

    async def _change(self, callback_id: str, change: Update, action: str) -> Callback:
        """Apply ``change`` to a pending callback; raise why not when it is not pending."""
        change = change.where(
            CALLBACKS.c.id == callback_id, CALLBACKS.c.status == CallbackStatus.PENDING
        )
        with self._hold():
            async with self._engine.begin() as connection:
                changed = (await connection.execute(change)).rowcount
                found = await sql.load(connection, [callback_id])
        if not found:
            raise CallbackNotFound(callback_id)
        if not changed and found[0].status is not CallbackStatus.PENDING:
            raise CallbackWrongState(callback_id, found[0].status, action)
        if not changed:
            raise sql.Lost
        return found[0]

    async def _read(self, query: Select[Any]) -> builtins.list[Callback]:
        with self._hold():
            async with self._engine.connect() as connection:
                return await sql.fetch(connection, query)


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r} for {name}: pass a timezone-aware time")
    return at.astimezone(UTC)
