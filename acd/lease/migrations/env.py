"""Alembic environment for the engine-lease table: :func:`foundation.sqlschema.run_env` with our
table and version table (run by :func:`acd.lease.migrate` or the ``alembic`` command line)."""

from __future__ import annotations

from acd.lease.migrate import VERSION_TABLE
from acd.lease.schema import METADATA
from foundation.sqlschema import run_env

run_env(METADATA, VERSION_TABLE)
