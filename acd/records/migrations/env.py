"""Alembic environment for the contact-record tables: :func:`foundation.sqlschema.run_env` with our
models and version table (run by :func:`acd.records.migrate` or the ``alembic`` command line)."""

from __future__ import annotations

from acd.records.migrate import VERSION_TABLE
from acd.records.schema import Base
from foundation.sqlschema import run_env

run_env(Base.metadata, VERSION_TABLE)
