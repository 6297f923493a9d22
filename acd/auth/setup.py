"""Opening the auth tables at engine start: migrated, a hint in the log while no one could sign
in, and the hourly housekeeping: sessions past their expiry dropped (a session is also refused
when presented expired; this keeps the table from growing) and audit entries past
``auth.audit_keep_days`` deleted."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

from acd.auth import migrate
from acd.auth.store import AuthStore
from acd.settings.auth_options import AuthSettings
from foundation.clock import Clock, Hold
from foundation.periodic import Periodic

log = logging.getLogger(__name__)


HOUSEKEEPING_INTERVAL_S = 3600.0


async def open_auth(
    stack: AsyncExitStack, url: str, settings: AuthSettings, clock: Clock, *, hold: Hold
) -> AuthStore:
    await migrate.migrate(url, hold=hold)
    store = await stack.enter_async_context(AuthStore.open(url, hold=hold))
    housekeeping = Periodic(
        "auth-housekeeping",
        lambda: housekeep(store, settings, clock.now()),
        HOUSEKEEPING_INTERVAL_S,
    )
    await housekeeping.start()
    stack.push_async_callback(housekeeping.stop)
    if not await store.users() and not [t for t in await store.tokens() if not t.revoked_at]:
        log.warning(
            "the HTTP API has no users or tokens yet, so no one can use it: create the first "
            "admin with `acd users add NAME --role admin` (or a token: `acd tokens add`)"
        )
    return store


async def housekeep(store: AuthStore, settings: AuthSettings, now: datetime) -> int:
    """Drop expired sessions and audit entries past their keeping; returns the audit entries
    deleted (logged, since deleting an audit trail is itself worth a line)."""
    await store.drop_sessions_before(
        now - timedelta(seconds=settings.session_idle_s),
        now - timedelta(seconds=settings.session_absolute_s),
    )
    if not settings.audit_keep_days:
        return 0
    before = now - timedelta(days=settings.audit_keep_days)
    deleted = await store.drop_audit_before(before)
    if deleted:
        log.info(
            "audit log: %d entries before %s deleted (auth.audit_keep_days: %d)",
            deleted,
            before.isoformat(timespec="seconds"),
            settings.audit_keep_days,
        )
    return deleted
