"""Alembic environment for the auth tables: :func:`foundation.sqlschema.run_env` with our models
and version table (run by :func:`acd.auth.migrate.migrate` or the ``alembic`` command line)."""

from __future__ import annotations

from acd.auth.migrate import VERSION_TABLE
from acd.auth.schema import Base
from foundation.sqlschema import run_env

run_env(Base.metadata, VERSION_TABLE)
