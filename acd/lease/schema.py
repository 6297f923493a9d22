"""The engine-lease table: one row per ARI application (URL + app name), naming the engine that
holds it and until when."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from foundation.sql import UtcDateTime, named_metadata

METADATA = named_metadata()

LEASES = Table(
    "acd_engine_leases",
    METADATA,
    # The ARI URL and app name: two engines on one app would take it from each other.
    Column("key", String(512), primary_key=True),
    # Random per engine start: host + pid may repeat (a restarted container is pid 1 again).
    Column("owner", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("renewed_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
