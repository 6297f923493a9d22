"""An upsert compiled once by SQLAlchemy and run straight on a DB-API (sqlite3) cursor.

In the records' own thread (``acd.records.together``) SQLAlchemy's execution machinery cost
about 90 % of the thread's CPU although the upserts were compiled once: an execution context
per statement, the parameters processed and checked, events, a result wrapping the cursor.
Here the statement is compiled once, its bind parameters are put in the order the SQL names
them and each goes through the very bind processor SQLAlchemy would apply (its column type's,
on this dialect: ``UtcDateTime`` to naive UTC text, enums to their values, dates to ISO text),
so a row is stored exactly as through SQLAlchemy (``tests/records/test_on_cursor.py``).
Only for SQLite's ``qmark`` parameter style; PostgreSQL stays on SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class CursorStatement:
    """``statement`` compiled for ``dialect`` (SQLite), with its parameters' processors."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        if dialect.paramstyle != "qmark":
            raise ValueError(f"{dialect.name}: only the qmark parameter style is supported")
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        names = compiled.positiontup or []
        processors: list[tuple[str, Callable[[Any], Any] | None]] = []
        for name in names:
            bind = compiled.binds[name]
            if bind.value is not None or bind.callable is not None:
                # compiled_once's rule: every value is an execution parameter.
                raise ValueError(f"{name}: a value bound in the statement is not supported")
            # What SQLAlchemy itself applies: the type's implementation on this dialect.
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            processors.append((bind.key, processor))
        self._processors = processors

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """One row's parameters in the SQL's order, processed as SQLAlchemy would."""
        # A list comprehension, not a generator: no generator frame resumed per column.
        return tuple(
            [
                values[name] if processor is None else processor(values[name])
                for name, processor in self._processors
            ]
        )

    def run_many(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute for every row (no RETURNING: sqlite3's executemany refuses rows back)."""
        cursor.executemany(self.sql, [self.parameters(values) for values in rows])
