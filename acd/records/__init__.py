"""Durable contact records in SQL: one row per contact plus one per agent offer; and each
agent's durable state (presence, reason, day counters), one row per agent.

The engine never awaits the database: :class:`ContactRecorder` takes the engine's contact events
without blocking and a background task writes them through :class:`ContactStore`;
:class:`AgentStateWriter` does the same for agent records through :class:`AgentStateStore`,
which an engine reads back when it starts.  The engine itself writes contacts, agent states and
wrap-ups through one :class:`RecordsWriter`, one transaction per batch (``together``).  The
schema is owned by the Alembic migrations in ``acd/records/migrations``; run :func:`migrate`
before opening a store.
"""

from acd.records.agent_store import AgentStateStore
from acd.records.migrate import migrate
from acd.records.recorder import AgentStateWriter, ContactRecorder, RecordSaver
from acd.records.store import ContactStore
from acd.records.together import RecordsStore, RecordsWriter

__all__ = [
    "AgentStateStore",
    "AgentStateWriter",
    "ContactRecorder",
    "ContactStore",
    "RecordSaver",
    "RecordsStore",
    "RecordsWriter",
    "migrate",
]
