"""Bring a database's callback tables up to date with the packaged Alembic migrations.

The callbacks keep their own version table, so they live in the same database as the contact
records (or in another one) and each component migrates on its own.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from acd.clock import hold_clock
from acd.records.engine import create_engine, ensure_sqlite_directory

VERSION_TABLE = "acd_callbacks_alembic_version"

# A package resource path, so the migrations are found wherever the package is installed.
SCRIPT_LOCATION = "callbacks:migrations"

# Serialises engine nodes that start together against one PostgreSQL database; not the contact
# records' key, so the two migrations do not wait for each other.
_PG_MIGRATION_LOCK = 0x4143_4443_4242  # "ACDCBB"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the callback migrations, built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        # ConfigParser treats % as interpolation; a password may contain one.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision``; a no-op if it is already there.

    For SQLite the database file's parent directory is created if missing.
    """
    ensure_sqlite_directory(url)
    engine = create_engine(url)
    try:
        # The virtual clock must not jump ahead (and fire timeouts) while the database works.
        with hold_clock():
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, revision)
    finally:
        with hold_clock():
            await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
