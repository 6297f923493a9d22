"""Alembic environment for the callback tables: :func:`acd.sqlschema.run_env` with our models
and version table (run by :func:`callbacks.migrate` or the ``alembic`` command line)."""

from __future__ import annotations

from acd.sqlschema import run_env
from callbacks.migrate import VERSION_TABLE
from callbacks.schema import Base

run_env(Base.metadata, VERSION_TABLE)
