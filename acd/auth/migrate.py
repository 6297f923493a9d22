"""Bring a database's auth tables (users, sessions, tokens, audit) up to date with the
packaged Alembic migrations; own version table, so they share the contact records' database."""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="acd.auth:migrations",
    version_table="acd_auth_alembic_version",
    pg_lock_key=0x4143_4441_5554,  # "ACDAUT"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
