"""The shared SQL base: one place that turns a database URL into an async engine (with the
per-backend settings that the stores and the migrations rely on), and the column types and
naming convention every component's tables use."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from sqlalchemy import (
    DateTime,
    Enum,
    Executable,
    MetaData,
    StatementLambdaElement,
    event,
    lambda_stmt,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

from foundation.clock import Hold, no_hold
from foundation.errors import NoDatabase

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


def sqlite_file_path(url: str) -> str | None:
    """The file of ``url`` when it is a SQLite file, else None (another backend, or an
    in-memory database, which is private to its connection: a second connection would not see
    it)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return database


def sqlite_file_connection(path: str) -> sqlite3.Connection:
    """A plain sqlite3 connection on the SQLite file ``path`` with the pragmas every engine
    connection gets, in autocommit mode: the caller says ``BEGIN`` and ``COMMIT`` itself.
    For a whole transaction run in a thread of its own (``acd.records.together``), where
    SQLAlchemy's begin, pool checkout and commit cost as much CPU as the statements."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    _sqlite_on_connect(connection, None)
    return connection


class SqlStore:
    """Base of the SQL stores: an async engine, and the clock's hold wrapped around every
    database round trip (on virtual time the clock stands still while one runs; see
    :data:`foundation.clock.Hold`)."""

    def __init__(self, engine: AsyncEngine, *, hold: Hold = no_hold) -> None:
        self._engine = engine
        self._hold = hold

    @classmethod
    def create_engine(cls, url: str) -> AsyncEngine:
        """The engine :meth:`open` builds; a store with per-backend needs overrides it."""
        return create_engine(url)

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str, *, hold: Hold = no_hold, **options: Any) -> AsyncIterator[Self]:
        """``async with Store.open(url) as store``: the engine is disposed on exit.  ``options``
        go to the store's constructor."""
        engine = cls.create_engine(url)
        try:
            yield cls(engine, hold=hold, **options)
        finally:
            with hold():
                await engine.dispose()


def compiled_once(statement: Executable, dialect: str, name: str) -> StatementLambdaElement:
    """``statement`` wrapped so that SQLAlchemy compiles it once per engine, not at every
    execution: a dialect insert with ON CONFLICT has no cache key of its own (SQLAlchemy 2.0,
    issue 10445), and compiling one cost about 0.5 ms of CPU per transaction.

    The lambda returns the statement built for ``name`` on ``dialect`` the first time; the
    lambda cache is one for the whole process (every engine, every store), so ``name`` must
    say which statement this is, and the statement must be the same for every caller giving
    that name and dialect, with all its values as execution parameters (none bound in it)."""
    return lambda_stmt(lambda: statement, track_closure_variables=False, track_on=[dialect, name])


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection; offers must not outlive
    # their contact.
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead log: a commit appends to one file instead of rewriting pages through a
    # rollback journal, and readers (the API's reports) do not block the recorder.  With WAL,
    # synchronous=NORMAL is still crash-safe for the database (a power cut may lose the last
    # commits, never corrupt it) and saves the fsync per commit.  The journal mode is stored in
    # the file; an in-memory database keeps its own ("memory").
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def require_existing_database(url: str) -> None:
    """Raise :class:`foundation.errors.NoDatabase` if ``url`` is a SQLite file that does not
    exist.  Read-only commands call it first: opening a SQLite URL creates the file (and the
    migrations its directory), and a mistyped path would then list "nothing" instead of
    saying what is wrong."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if not path.is_file():
        raise NoDatabase(
            f"no database at {path}: nothing has been stored there yet (acd run creates it; "
            "check storage.url or --storage-url)"
        )


def ensure_sqlite_directory(url: str) -> None:
    """Create the parent directory of a SQLite database file; other URLs are left alone."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # a URI filename; its path is not ours to interpret
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and returned timezone-aware.

    Naive datetimes are refused: their meaning depends on the host's zone, and a report that is
    off by an hour twice a year is worse than an error at the first save.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = _utc(value)
        # SQLite stores the wall-clock fields as text and would silently drop the offset.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def bind_processor(self, dialect: Dialect) -> Any:
        # On SQLite, straight to the text SQLAlchemy's DATETIME stores ("2027-03-30
        # 09:00:00.000000") instead of this decorator then that type's %-formatting of a
        # dict (7.6 -> 1.9 us a value): a contact record binds a dozen times, and this was
        # half the records thread's CPU.
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: contact times must be timezone-aware")
    return value.astimezone(UTC)


_SQLITE_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # SQLAlchemy's DATETIME storage format


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the engine's own times are UTC already
        value = _utc(value)
    return _SQLITE_TEXT % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def enum_column(enum: type[StrEnum], length: int) -> Enum:
    """A plain VARCHAR of the enum's values: adding a value later needs no migration,
    PostgreSQL native enums cannot lose a value at all, and partial indexes can name the
    values in plain SQL."""

    def values(cls: type[StrEnum]) -> list[str]:
        return [member.value for member in cls]

    return Enum(enum, native_enum=False, length=length, values_callable=values)


def named_metadata() -> MetaData:
    """Metadata with named constraints, so a later migration can drop or alter them by name on
    every backend."""
    return MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        }
    )
