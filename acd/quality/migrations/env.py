"""Alembic environment for the quality tables: :func:`foundation.sqlschema.run_env` with our
models and version table (run by :func:`acd.quality.migrate.migrate` or ``alembic``)."""

from __future__ import annotations

from acd.quality.migrate import VERSION_TABLE
from acd.quality.schema import Base
from foundation.sqlschema import run_env

run_env(Base.metadata, VERSION_TABLE)
