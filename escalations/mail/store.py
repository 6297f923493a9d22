"""The escalation mail outbox in SQLite or PostgreSQL.  Run :func:`escalations.mail.migrate`
first.

A mail is committed here before anyone tries to send it, so an escalation the agent saw
accepted survives any crash.  Sending is at least once: a sender claims a due mail (one
conditional UPDATE, so of two senders exactly one wins) until ``next_attempt_at``; a sender
that dies mid-send leaves the claim to run out, after which the mail is due again and is sent
again, even if the first try had in fact reached the server.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from escalations.mail.model import WAITING_STATUSES, Mail, MailStatus, Via
from escalations.mail.schema import MAILS
from foundation.sql import SqlStore

DEFAULT_LIST_LIMIT = 1000
DEFAULT_DUE_LIMIT = 20
# Errors are stored for people to read; a server's whole reply is not needed.
MAX_ERROR_LENGTH = 500


class MailOutboxStore(SqlStore):
    """Escalation mails; all times aware (returned in UTC)."""

    async def enqueue(
        self,
        request_key: str,
        *,
        point_id: str,
        via: Via,
        address: str,
        subject: str,
        body: str,
        contact_id: str,
        agent_id: str,
        now: datetime,
        line_code: str = "",
    ) -> tuple[Mail, bool]:
        """Store a mail, due at once; the stored mail and whether it is new.  The same
        ``request_key`` again returns the first mail unchanged (``False``)."""
        _aware(now, "now")
        if not request_key:
            raise ValueError("the request key is empty")
        mail_id = uuid.uuid4().hex
        values: dict[str, Any] = {
            "id": mail_id,
            "request_key": request_key,
            "point_id": point_id,
            "via": via,
            "address": address,
            "subject": subject,
            "body": body,
            "contact_id": contact_id,
            "agent_id": agent_id,
            "line_code": line_code,
            "status": MailStatus.PENDING,
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            "delivered_at": None,
        }
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    await connection.execute(insert(MAILS).values(values))
        except IntegrityError:
            # That key was stored first (a retried request, or another node): the first wins.
            existing = await self._one(MAILS.c.request_key == request_key)
            if existing is None:  # pragma: no cover - an IntegrityError on another column
                raise
            return existing, False
        mail = await self.get(mail_id)
        assert mail is not None
        return mail, True

    async def due(self, now: datetime, *, limit: int = DEFAULT_DUE_LIMIT) -> builtins.list[Mail]:
        """Mails to try now, oldest first: waiting ones whose time has come, including mails a
        sender claimed and never finished (its claim ran out: a crash)."""
        _aware(now, "now")
        query = (
            select(MAILS)
            .where(_is_due(now))
            .order_by(MAILS.c.next_attempt_at, MAILS.c.created_at, MAILS.c.id)
            .limit(limit)
        )
        return await self._read(query)

    async def next_due_at(self) -> datetime | None:
        """When the earliest waiting mail is due (possibly in the past), or None."""
        query = select(func.min(MAILS.c.next_attempt_at)).where(
            MAILS.c.status.in_(WAITING_STATUSES)
        )
        with self._hold():
            async with self._engine.connect() as connection:
                # min() keeps the column's type, so the value comes back aware (UTC).
                value: datetime | None = (await connection.execute(query)).scalar_one_or_none()
        return value

    async def claim(self, mail_id: str, now: datetime, until: datetime) -> Mail | None:
        """Claim a due mail for one attempt until ``until``; None if it is not due (another
        sender claimed it first, or it was delivered)."""
        _aware(now, "now")
        _aware(until, "until")
        statement = (
            update(MAILS)
            .where(MAILS.c.id == mail_id, _is_due(now))
            .values(
                status=MailStatus.SENDING,
                attempts=MAILS.c.attempts + 1,
                next_attempt_at=until,
                updated_at=now,
            )
        )
        with self._hold():
            async with self._engine.begin() as connection:
                if (await connection.execute(statement)).rowcount != 1:
                    return None
        return await self.get(mail_id)

    async def delivered(self, mail: Mail, now: datetime) -> Mail | None:
        """Record that the claimed attempt ``mail`` (as :meth:`claim` returned it) delivered."""
        return await self._finish(
            mail,
            now,
            status=MailStatus.DELIVERED,
            next_attempt_at=None,
            delivered_at=now,
        )

    async def failed(
        self, mail: Mail, now: datetime, error: str, *, retry_at: datetime | None
    ) -> Mail | None:
        """Record that the claimed attempt failed with ``error``: tried again at ``retry_at``,
        or given up for good when it is None."""
        return await self._finish(
            mail,
            now,
            status=MailStatus.RETRYING if retry_at is not None else MailStatus.GIVEN_UP,
            next_attempt_at=retry_at,
            last_error=error[:MAX_ERROR_LENGTH],
        )

    async def _finish(self, mail: Mail, now: datetime, **values: Any) -> Mail | None:
        _aware(now, "now")
        # Only the attempt that holds the claim may finish it: a sender whose claim ran out
        # (and whose mail another sender took up) changes nothing.
        statement = (
            update(MAILS)
            .where(
                MAILS.c.id == mail.id,
                MAILS.c.status == MailStatus.SENDING,
                MAILS.c.attempts == mail.attempts,
            )
            .values(updated_at=now, **values)
        )
        with self._hold():
            async with self._engine.begin() as connection:
                if (await connection.execute(statement)).rowcount != 1:
                    return None
        return await self.get(mail.id)

    async def get(self, mail_id: str) -> Mail | None:
        return await self._one(MAILS.c.id == mail_id)

    async def by_request_key(self, request_key: str) -> Mail | None:
        return await self._one(MAILS.c.request_key == request_key)

    async def list(
        self,
        *,
        statuses: Collection[MailStatus] | None = None,
        limit: int = DEFAULT_LIST_LIMIT,
    ) -> builtins.list[Mail]:
        """Mails, oldest first, of the given statuses (all when None)."""
        query = select(MAILS)
        if statuses is not None:
            query = query.where(MAILS.c.status.in_([MailStatus(s) for s in statuses]))
        return await self._read(query.order_by(MAILS.c.created_at, MAILS.c.id).limit(limit))

    async def count_waiting(self) -> int:
        query = select(func.count()).where(MAILS.c.status.in_(WAITING_STATUSES))
        with self._hold():
            async with self._engine.connect() as connection:
                return int((await connection.execute(query)).scalar_one())

    async def _one(self, condition: ColumnElement[bool]) -> Mail | None:
        found = await self._read(select(MAILS).where(condition))
        return found[0] if found else None

    async def _read(self, query: Any) -> builtins.list[Mail]:
        with self._hold():
            async with self._engine.connect() as connection:
                return [_mail(row) for row in await connection.execute(query)]


def _is_due(now: datetime) -> ColumnElement[bool]:
    return MAILS.c.status.in_(WAITING_STATUSES) & or_(
        MAILS.c.next_attempt_at.is_(None), MAILS.c.next_attempt_at <= now
    )


def _mail(row: Row[Any]) -> Mail:
    m = row._mapping
    return Mail(
        id=m["id"],
        request_key=m["request_key"],
        point_id=m["point_id"],
        via=Via(m["via"]),
        address=m["address"],
        subject=m["subject"],
        body=m["body"],
        contact_id=m["contact_id"],
        agent_id=m["agent_id"],
        status=MailStatus(m["status"]),
        attempts=m["attempts"],
        last_error=m["last_error"],
        next_attempt_at=m["next_attempt_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        delivered_at=m["delivered_at"],
        line_code=m["line_code"],
    )


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, not {value!r}")
