"""One place that turns a database URL into an async engine, with the per-backend settings
that the store and the migrations both rely on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``sqlite+aiosqlite://`` or ``postgresql+asyncpg://`` URLs."""
    backend = make_url(url).get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ValueError(f"unsupported database {backend!r} in {url!r}: use sqlite or postgresql")
    engine = create_async_engine(url)
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection; offers must not outlive
    # their contact.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ensure_sqlite_directory(url: str) -> None:
    """Create the parent directory of a SQLite database file; other URLs are left alone."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # a URI filename; its path is not ours to interpret
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
