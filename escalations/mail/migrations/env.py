"""Alembic environment for the escalation mail outbox: :func:`foundation.sqlschema.run_env`
with our table and version table (run by :func:`escalations.mail.migrate` or ``alembic``)."""

from __future__ import annotations

from escalations.mail.migrate import VERSION_TABLE
from escalations.mail.schema import METADATA
from foundation.sqlschema import run_env

run_env(METADATA, VERSION_TABLE)
