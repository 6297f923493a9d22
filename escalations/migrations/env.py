"""Alembic environment for the escalation point tables: :func:`foundation.sqlschema.run_env`
with our models and version table (run by :func:`escalations.migrate` or ``alembic``)."""

from __future__ import annotations

from escalations.migrate import VERSION_TABLE
from escalations.schema import Base
from foundation.sqlschema import run_env

run_env(Base.metadata, VERSION_TABLE)
