"""Bring a database's contact-record tables up to date with the packaged Alembic migrations."""

from __future__ import annotations

from alembic.config import Config

from foundation import sqlschema
from foundation.clock import Hold, no_hold

# Our own version table, so other components can keep their migrations in the same database.
VERSION_TABLE = "acd_records_alembic_version"

# A package resource path, so the migrations are found wherever the package is installed.
SCRIPT_LOCATION = "acd.records:migrations"

# Serialises engine nodes that start together against one PostgreSQL database; any constant
# works as long as every node uses the same one.
_PG_MIGRATION_LOCK = 0x4143_4452_4543  # "ACDREC"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the contact-record migrations, built in code (no alembic.ini)."""
    return sqlschema.alembic_config(SCRIPT_LOCATION, url)


async def migrate(url: str, revision: str = "head", *, hold: Hold = no_hold) -> None:
    """Upgrade the database at ``url`` to ``revision``; a no-op if it is already there.

    For SQLite the database file's parent directory is created if missing.  ``hold`` is the
    caller's clock's (:data:`foundation.clock.Hold`), held around the database work.
    """
    await sqlschema.upgrade(url, SCRIPT_LOCATION, _PG_MIGRATION_LOCK, revision, hold=hold)
