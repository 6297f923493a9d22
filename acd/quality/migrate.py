"""Bring a database's quality tables (survey answers) up to date with the packaged Alembic
migrations, in their own version table like the callbacks' and the escalation points'."""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="acd.quality:migrations",
    version_table="acd_quality_alembic_version",
    pg_lock_key=0x4143_4451_4C54,  # "ACDQLT"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
