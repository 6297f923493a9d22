"""Durable contact records in SQL: one row per contact plus one per agent offer.

The engine never awaits the database: :class:`ContactRecorder` takes the engine's contact events
without blocking and a background task writes them through :class:`ContactStore`.  The schema
is owned by the Alembic migrations in ``acd/records/migrations``; run :func:`migrate` before
opening a store.
"""

from acd.records.migrate import migrate
from acd.records.recorder import ContactRecorder, RecordSaver
from acd.records.store import ContactStore

__all__ = ["ContactRecorder", "ContactStore", "RecordSaver", "migrate"]
