"""Bring a database's contact-record tables up to date with the packaged Alembic migrations."""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="acd.records:migrations",
    version_table="acd_records_alembic_version",
    pg_lock_key=0x4143_4452_4543,  # "ACDREC"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
