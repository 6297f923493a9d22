"""Bring a database's escalation mail outbox up to date with the packaged Alembic migrations.

The outbox keeps its own version table, so it lives beside the contact records and callbacks
in one database (or in another one) and migrates on its own.
"""

from __future__ import annotations

from foundation.sqlschema import Migrations

MIGRATIONS = Migrations(
    script_location="escalations.mail:migrations",
    version_table="acd_escalation_mail_alembic_version",
    pg_lock_key=0x4143_4445_4D4C,  # "ACDEML"
)
VERSION_TABLE = MIGRATIONS.version_table
alembic_config = MIGRATIONS.alembic_config
migrate = MIGRATIONS.migrate
