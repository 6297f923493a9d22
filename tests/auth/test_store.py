"""The auth tables on both backends: the models match the migrations, secrets are stored only
hashed, tokens revoke, the audit log filters."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from acd.auth.migrate import VERSION_TABLE, migrate
from acd.auth.model import Role, Scope
from acd.auth.schema import Base
from acd.auth.setup import housekeep
from acd.auth.store import AuditEntry, AuditQuery, AuthStore, UserExists
from acd.settings.auth_options import AuthSettings
from foundation.clock import hold_clock
from tests.sql import applied_versions, run_sync
from tests.system.harness import START

pytestmark = pytest.mark.component


def _schema_drift(connection: Connection) -> list[object]:
    ours = set(Base.metadata.tables)

    def only_ours(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        return kind != "table" or name in ours

    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "include_name": only_ours}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_the_models_match_the_migrations_and_migrating_again_is_a_no_op(db_url: str):
    await migrate(db_url, hold=hold_clock)
    assert await run_sync(db_url, _schema_drift) == []
    assert await applied_versions(db_url, VERSION_TABLE) == ["0001"]


def _dump(connection: Connection) -> str:
    rows = []
    for table in ("auth_users", "auth_tokens", "auth_sessions"):
        rows += [repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(rows)


async def test_passwords_tokens_and_sessions_are_stored_only_hashed(db_url: str):
    name = f"u{secrets.token_hex(4)}"
    password = "a password of some length"
    async with AuthStore.open(db_url, hold=hold_clock) as store:
        user = await store.add_user(name, password, Role.ADMIN, START)
        _, token = await store.add_token(name, frozenset({Scope.METRICS}), START)
        session = secrets.token_urlsafe(32)
        await store.open_session(user.id, session, START)
        stored = await run_sync(db_url, _dump)
        assert password not in stored
        assert token not in stored
        assert session not in stored
        assert "$argon2id$" in stored
        with pytest.raises(UserExists):
            await store.add_user(name, password, Role.AGENT, START, agent_id="1001")


async def test_a_revoked_token_stays_listed_with_when(db_url: str):
    async with AuthStore.open(db_url, hold=hold_clock) as store:
        made, secret = await store.add_token("prom", frozenset({Scope.METRICS}), START)
        later = START + timedelta(hours=1)
        revoked = await store.revoke_token(made.id, later)
        assert revoked.revoked_at == later
        found = await store.token(secret)
        assert found is not None
        assert found.revoked_at == later


async def test_the_audit_log_filters_by_actor_action_line_time_and_limit(db_url: str):
    actor = f"sup{secrets.token_hex(3)}"
    async with AuthStore.open(db_url, hold=hold_clock) as store:
        for minute, (action, lines) in enumerate(
            [("agent.logout", ("1700",)), ("agent.login", ("1700",)), ("callback.cancel", ("bz",))]
        ):
            at = START + timedelta(minutes=minute)
            await store.audit(AuditEntry(at, actor, "supervisor", action, "x", 200, "::1", lines))

        async def actions(**query: object) -> list[str]:
            found = await store.audit_entries(AuditQuery(actor=actor, **query))  # type: ignore[arg-type]
            return [entry.action for entry in found]

        assert await actions() == ["callback.cancel", "agent.login", "agent.logout"]
        assert await actions(action="agent.login") == ["agent.login"]
        assert await actions(line="1700") == ["agent.login", "agent.logout"]
        assert await actions(within_lines=frozenset({"bz"})) == ["callback.cancel"]
        assert await actions(within_lines=frozenset()) == []
        assert await actions(since=START + timedelta(minutes=1)) == [
            "callback.cancel",
            "agent.login",
        ]
        assert await actions(until=START + timedelta(minutes=1)) == ["agent.logout"]
        assert await actions(limit=1) == ["callback.cancel"]


async def test_housekeeping_drops_expired_sessions_and_audit_past_its_keeping(db_url: str):
    # Far in the past, so the shared PostgreSQL's entries of other tests are never swept.
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    actor = f"keeper-{secrets.token_hex(4)}"
    settings = AuthSettings(audit_keep_days=30)
    async with AuthStore.open(db_url, hold=hold_clock) as store:
        user = await store.add_user(actor, "a password of some length", Role.ADMIN, long_ago)
        stale, fresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await store.open_session(user.id, stale, long_ago - timedelta(hours=2))
        await store.open_session(user.id, fresh, long_ago - timedelta(minutes=5))
        for days_ago in (31, 29):
            at = long_ago - timedelta(days=days_ago)
            await store.audit(AuditEntry(at, actor, "admin", f"{days_ago}d", None, 200, None))

        assert await housekeep(store, settings, long_ago) == 1

        kept = await store.audit_entries(AuditQuery(actor=actor))
        assert [e.action for e in kept] == ["29d"]
        assert await store.session(stale) is None
        assert await store.session(fresh) is not None
        # 0 keeps the audit log for ever.
        forever = AuthSettings(audit_keep_days=0)
        assert await housekeep(store, forever, long_ago + timedelta(days=400)) == 0
        assert len(await store.audit_entries(AuditQuery(actor=actor))) == 1
