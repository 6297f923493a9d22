"""Bring a database's callback tables up to date with the packaged Alembic migrations.

The callbacks keep their own version table, so they live in the same database as the contact
records (or in another one) and each component migrates on its own.
"""

from __future__ import annotations

from alembic.config import Config

from foundation import sqlschema
from foundation.clock import Hold, no_hold

VERSION_TABLE = "acd_callbacks_alembic_version"

# A package resource path, so the migrations are found wherever the package is installed.
SCRIPT_LOCATION = "callbacks:migrations"

# Serialises engine nodes that start together against one PostgreSQL database; not the contact
# records' key, so the two migrations do not wait for each other.
_PG_MIGRATION_LOCK = 0x4143_4443_4242  # "ACDCBB"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the callback migrations, built in code (no alembic.ini)."""
    return sqlschema.alembic_config(SCRIPT_LOCATION, url)


async def migrate(url: str, revision: str = "head", *, hold: Hold = no_hold) -> None:
    """Upgrade the database at ``url`` to ``revision``; a no-op if it is already there.

    For SQLite the database file's parent directory is created if missing.  ``hold`` is the
    caller's clock's (:data:`foundation.clock.Hold`), held around the database work.
    """
    await sqlschema.upgrade(url, SCRIPT_LOCATION, _PG_MIGRATION_LOCK, revision, hold=hold)
