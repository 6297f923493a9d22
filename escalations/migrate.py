"""Bring a database's escalation point tables up to date with the packaged Alembic migrations
(their own version table, like the callbacks' and the contact records')."""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="escalations:migrations",
    version_table="acd_escalations_alembic_version",
    pg_lock_key=0x4143_4445_5343,  # "ACDESC"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
