"""Running a package's own Alembic migrations, shared by every component that keeps SQL tables.

Each component (the contact records, the callbacks) owns a ``migrations`` directory with its
own version table, so several live in one database and each migrates on its own.  Its
``migrate.py`` describes them in one :class:`Migrations` (script location, version table,
PostgreSQL lock key); its ``migrations/env.py`` calls :func:`run_env`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from foundation.clock import Hold, no_hold


@dataclass(frozen=True, slots=True)
class Migrations:
    """One component's migrations."""

    # A package resource path (``"callbacks:migrations"``), so the scripts are found wherever
    # the package is installed.
    script_location: str
    # The component's own version table, so other components share the database.
    version_table: str
    # Serialises engine nodes that start together against one PostgreSQL database; each
    # component has its own key, so two components' migrations do not wait for each other.
    pg_lock_key: int

    def alembic_config(self, url: str | None = None) -> Config:
        """An Alembic config for these migrations, built in code (no alembic.ini)."""
        return alembic_config(self.script_location, url)

    async def migrate(self, url: str, revision: str = "head", *, hold: Hold = no_hold) -> None:
        """Upgrade the database at ``url`` to ``revision`` (see :func:`upgrade`)."""
        await upgrade(url, self.script_location, self.pg_lock_key, revision, hold=hold)


def alembic_config(script_location: str, url: str | None = None) -> Config:
    """An Alembic config for the migrations at ``script_location`` (a package resource path,
    so they are found wherever the package is installed), built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", script_location)
    if url is not None:
        # ConfigParser treats % as interpolation; a password may contain one.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(
    url: str, script_location: str, lock_key: int, revision: str = "head", *, hold: Hold = no_hold
) -> None:
    """Upgrade the database at ``url`` to ``revision``; a no-op if it is already there.

    For SQLite the database file's parent directory is created if missing.  On PostgreSQL the
    upgrade holds the advisory lock ``lock_key`` for its transaction, which serialises engine
    nodes that start together against one database.  ``hold`` (the caller's clock's) is held
    around the database work.
    """
    # Here, not at the top: acd.records imports its migrate module, which imports this one.
    from foundation.sql import create_engine, ensure_sqlite_directory

    ensure_sqlite_directory(url)
    engine = create_engine(url)
    try:
        # aiosqlite works in a thread and PostgreSQL answers over a socket: either way the
        # virtual clock must not jump ahead (and fire timeouts) while we wait.
        with hold():
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, script_location, lock_key, revision)
    finally:
        with hold():
            await engine.dispose()


def _upgrade(connection: Connection, script_location: str, lock_key: int, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
    config = alembic_config(script_location)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def run_env(target_metadata: MetaData, version_table: str) -> None:
    """The body of a component's Alembic ``env.py``.

    Two ways in: :func:`upgrade` hands over an open connection in
    ``config.attributes["connection"]`` (the normal path, inside the caller's event loop); the
    ``alembic`` command line, given ``sqlalchemy.url``, opens its own async engine.  Offline
    mode (``--sql``) writes the SQL out instead.
    """
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            version_table=version_table,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection, target_metadata, version_table)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes")
    asyncio.run(_run_with_own_engine(url, target_metadata, version_table))


def _run(connection: Connection, target_metadata: MetaData, version_table: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str, target_metadata: MetaData, version_table: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, target_metadata, version_table)
            await connection.commit()
    finally:
        await engine.dispose()
