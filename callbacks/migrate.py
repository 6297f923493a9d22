"""Bring a database's callback tables up to date with the packaged Alembic migrations.

The callbacks keep their own version table, so they live in the same database as the contact
records (or in another one) and each component migrates on its own.
"""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="callbacks:migrations",
    version_table="acd_callbacks_alembic_version",
    pg_lock_key=0x4143_4443_4242,  # "ACDCBB"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
