"""Opening the auth tables at engine start: migrated, sessions past their expiry dropped, and
a hint in the log while no one could sign in."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

from acd.auth import migrate
from acd.auth.store import AuthStore
from acd.settings.auth_options import AuthSettings
from foundation.clock import Hold

log = logging.getLogger(__name__)


async def open_auth(
    stack: AsyncExitStack, url: str, settings: AuthSettings, now: datetime, *, hold: Hold
) -> AuthStore:
    await migrate.migrate(url, hold=hold)
    store = await stack.enter_async_context(AuthStore.open(url, hold=hold))
    await store.drop_sessions_before(
        now - timedelta(seconds=settings.session_idle_s),
        now - timedelta(seconds=settings.session_absolute_s),
    )
    if not await store.users() and not [t for t in await store.tokens() if not t.revoked_at]:
        log.warning(
            "the HTTP API has no users or tokens yet, so no one can use it: create the first "
            "admin with `acd users add NAME --role admin` (or a token: `acd tokens add`)"
        )
    return store
