"""Bring a database's engine-lease table up to date with the packaged Alembic migrations."""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="acd.lease:migrations",
    version_table="acd_lease_alembic_version",
    pg_lock_key=0x4143_444C_4541,  # "ACDLEA"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
