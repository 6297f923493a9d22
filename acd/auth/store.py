"""Users, sessions, API tokens and the audit log in SQL (the contact records' database).

Every method is one short transaction; times come from the caller (the engine's clock), so
expiry is tested on virtual time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from acd.auth.hashing import hash_password, new_token, token_digest, verify_password
from acd.auth.model import Role, Scope, Session, Token, User
from acd.auth.schema import AuditRow, SessionRow, TokenRow, UserRow
from foundation.errors import ApiError
from foundation.sql import SqlStore

USERS = cast(Table, UserRow.__table__)
SESSIONS = cast(Table, SessionRow.__table__)
TOKENS = cast(Table, TokenRow.__table__)
AUDIT = cast(Table, AuditRow.__table__)

DEFAULT_AUDIT_LIMIT = 200
MAX_AUDIT_LIMIT = 10_000


class UserExists(ApiError):
    def __init__(self, username: str) -> None:
        super().__init__(409, "user_exists", f"a user {username!r} exists already")


class UserNotFound(ApiError):
    def __init__(self, username: str) -> None:
        super().__init__(404, "user_not_found", f"no user {username!r}", {"username": username})


class TokenNotFound(ApiError):
    def __init__(self, token_id: int) -> None:
        super().__init__(404, "token_not_found", f"no token {token_id}", {"id": token_id})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: int
    remote: str | None
    lines: tuple[str, ...] = ()

    def view(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "remote": self.remote,
            "lines": list(self.lines),
        }


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    line: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_AUDIT_LIMIT
    # A supervisor reads only the entries about their lines (None: every entry).
    within_lines: frozenset[str] | None = None


class AuthStore(SqlStore):
    # --- users ---------------------------------------------------------------------------

    async def add_user(
        self,
        username: str,
        password: str,
        role: Role,
        now: datetime,
        *,
        agent_id: str | None = None,
        lines: tuple[str, ...] = (),
    ) -> User:
        values = {
            "username": username,
            "password_hash": await self._hash(password),
            "role": role.value,
            "agent_id": agent_id,
            "lines": ",".join(lines),
            "disabled": False,
            "created_at": now,
        }
        try:
            with self._hold():
                async with self._engine.begin() as connection:
                    await connection.execute(insert(USERS).values(values))
        except IntegrityError:
            raise UserExists(username) from None
        found = await self.user(username)
        assert found is not None
        return found

    async def user(self, username: str) -> User | None:
        row = await self._one(select(USERS).where(USERS.c.username == username))
        return None if row is None else _user(row)

    async def user_by_id(self, user_id: int) -> User | None:
        row = await self._one(select(USERS).where(USERS.c.id == user_id))
        return None if row is None else _user(row)

    async def password_hash(self, username: str) -> tuple[User, str] | None:
        row = await self._one(select(USERS).where(USERS.c.username == username))
        return None if row is None else (_user(row), row.password_hash)

    async def users(self) -> list[User]:
        with self._hold():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(select(USERS).order_by(USERS.c.username))).all()
        return [_user(row) for row in rows]

    async def set_password(self, username: str, password: str) -> None:
        # A new password ends every session the old one opened.
        await self._update_user(username, password_hash=await self._hash(password))

    async def set_disabled(self, username: str, disabled: bool) -> None:
        await self._update_user(username, disabled=disabled)

    async def _update_user(self, username: str, **values: Any) -> None:
        with self._hold():
            async with self._engine.begin() as connection:
                user_id = (
                    await connection.execute(select(USERS.c.id).where(USERS.c.username == username))
                ).scalar_one_or_none()
                if user_id is None:
                    raise UserNotFound(username)
                await connection.execute(update(USERS).where(USERS.c.id == user_id).values(values))
                await connection.execute(delete(SESSIONS).where(SESSIONS.c.user_id == user_id))

    # --- sessions ------------------------------------------------------------------------

    async def open_session(self, user_id: int, secret: str, now: datetime) -> None:
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(SESSIONS).values(
                        digest=token_digest(secret),
                        user_id=user_id,
                        created_at=now,
                        last_seen_at=now,
                    )
                )

    async def session(self, secret: str) -> Session | None:
        row = await self._one(select(SESSIONS).where(SESSIONS.c.digest == token_digest(secret)))
        if row is None:
            return None
        return Session(row.user_id, row.created_at, row.last_seen_at)

    async def touch_session(self, secret: str, now: datetime) -> None:
        await self._execute(
            update(SESSIONS)
            .where(SESSIONS.c.digest == token_digest(secret))
            .values(last_seen_at=now)
        )

    async def close_session(self, secret: str) -> None:
        await self._execute(delete(SESSIONS).where(SESSIONS.c.digest == token_digest(secret)))

    async def drop_sessions_before(self, seen_before: datetime, created_before: datetime) -> None:
        await self._execute(
            delete(SESSIONS).where(
                (SESSIONS.c.last_seen_at < seen_before) | (SESSIONS.c.created_at < created_before)
            )
        )

    async def drop_audit_before(self, before: datetime) -> int:
        """Delete the audit entries older than ``before``; how many went."""
        with self._hold():
            async with self._engine.begin() as connection:
                result = await connection.execute(delete(AUDIT).where(AUDIT.c.at < before))
        return int(result.rowcount or 0)

    # --- tokens --------------------------------------------------------------------------

    async def add_token(
        self, name: str, scopes: frozenset[Scope], now: datetime
    ) -> tuple[Token, str]:
        """A new token and its secret, which is shown this once and stored only hashed."""
        secret = new_token()
        with self._hold():
            async with self._engine.begin() as connection:
                result = await connection.execute(
                    insert(TOKENS).values(
                        name=name,
                        digest=token_digest(secret),
                        scopes=" ".join(sorted(scopes)),
                        created_at=now,
                    )
                )
                token_id = cast(int, result.inserted_primary_key[0])  # type: ignore[index]
        return Token(token_id, name, scopes, now, None, None), secret

    async def token(self, secret: str) -> Token | None:
        row = await self._one(select(TOKENS).where(TOKENS.c.digest == token_digest(secret)))
        return None if row is None else _token(row)

    async def tokens(self) -> list[Token]:
        with self._hold():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(select(TOKENS).order_by(TOKENS.c.id))).all()
        return [_token(row) for row in rows]

    async def revoke_token(self, token_id: int, now: datetime) -> Token:
        with self._hold():
            async with self._engine.begin() as connection:
                row = (
                    await connection.execute(select(TOKENS).where(TOKENS.c.id == token_id))
                ).first()
                if row is None:
                    raise TokenNotFound(token_id)
                if row.revoked_at is None:
                    await connection.execute(
                        update(TOKENS).where(TOKENS.c.id == token_id).values(revoked_at=now)
                    )
        found = _token(row)
        return Token(
            found.id, found.name, found.scopes, found.created_at, found.revoked_at or now, None
        )

    async def token_used(self, token_id: int, now: datetime) -> None:
        await self._execute(update(TOKENS).where(TOKENS.c.id == token_id).values(last_used_at=now))

    # --- audit ---------------------------------------------------------------------------

    async def audit(self, entry: AuditEntry) -> None:
        await self._execute(
            insert(AUDIT).values(
                at=entry.at,
                actor=entry.actor,
                role=entry.role,
                action=entry.action,
                target=entry.target,
                outcome=entry.outcome,
                remote=entry.remote,
                lines="," + ",".join(entry.lines) + "," if entry.lines else "",
            )
        )

    async def audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(AUDIT).order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc()).limit(query.limit)
        if query.actor is not None:
            stmt = stmt.where(AUDIT.c.actor == query.actor)
        if query.action is not None:
            stmt = stmt.where(AUDIT.c.action == query.action)
        if query.since is not None:
            stmt = stmt.where(AUDIT.c.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(AUDIT.c.at < query.until)
        if query.line is not None:
            stmt = stmt.where(AUDIT.c.lines.contains(f",{query.line},"))
        if query.within_lines is not None:
            if not query.within_lines:
                return []
            stmt = stmt.where(
                or_(*(AUDIT.c.lines.contains(f",{line},") for line in sorted(query.within_lines)))
            )
        with self._hold():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(stmt)).all()
        return [
            AuditEntry(
                row.at,
                row.actor,
                row.role,
                row.action,
                row.target,
                row.outcome,
                row.remote,
                tuple(line for line in row.lines.split(",") if line),
            )
            for row in rows
        ]

    # --- plumbing ------------------------------------------------------------------------

    async def verify(self, stored: str, password: str) -> bool:
        """Argon2id takes tens of milliseconds of CPU on purpose: in a thread, so the engine's
        loop keeps routing calls meanwhile (and a virtual clock stands still)."""
        with self._hold():
            return await asyncio.to_thread(verify_password, stored, password)

    async def _hash(self, password: str) -> str:
        with self._hold():
            return await asyncio.to_thread(hash_password, password)

    async def _one(self, stmt: Any) -> Any:
        with self._hold():
            async with self._engine.connect() as connection:
                return (await connection.execute(stmt)).first()

    async def _execute(self, stmt: Any) -> None:
        with self._hold():
            async with self._engine.begin() as connection:
                await connection.execute(stmt)


def _user(row: Any) -> User:
    return User(
        row.id,
        row.username,
        Role(row.role),
        row.agent_id,
        tuple(line for line in row.lines.split(",") if line),
        bool(row.disabled),
        row.created_at,
    )


def _token(row: Any) -> Token:
    return Token(
        row.id,
        row.name,
        frozenset(Scope(s) for s in row.scopes.split()),
        row.created_at,
        row.revoked_at,
        row.last_used_at,
    )
