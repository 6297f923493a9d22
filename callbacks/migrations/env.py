"""Alembic environment for the callback tables: :func:`foundation.sqlschema.run_env` with our models
and version table (run by :func:`callbacks.migrate` or the ``alembic`` command line)."""

from __future__ import annotations

from callbacks.migrate import VERSION_TABLE
from callbacks.schema import Base
from foundation.sqlschema import run_env

run_env(Base.metadata, VERSION_TABLE)
