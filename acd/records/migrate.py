"""Bring a database's contact-record tables up to date with the packaged Alembic migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from acd.clock import hold_clock
from acd.records.engine import create_engine, ensure_sqlite_directory

# Our own version table, so other components can keep their migrations in the same database.
VERSION_TABLE = "acd_records_alembic_version"

# A package resource path, so the migrations are found wherever the package is installed.
SCRIPT_LOCATION = "acd.records:migrations"

# Serialises engine nodes that start together against one PostgreSQL database; any constant
# works as long as every node uses the same one.
_PG_MIGRATION_LOCK = 0x4143_4452_4543  # "ACDREC"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the contact-record migrations, built in code (no alembic.ini)."""
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
        # aiosqlite works in a thread and PostgreSQL answers over a socket: either way the
        # virtual clock must not jump ahead (and fire timeouts) while we wait.
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
