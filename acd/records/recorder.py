"""The event sinks that save what the engine emits, each through a
:class:`~acd.records.writer.BatchWriter` (in the background, in batches, retried until saved).

:class:`ContactRecorder` saves contact snapshots: of one contact only the newest waiting is
written, except that an ended snapshot is never replaced by one from before the end.
:class:`AgentStateWriter` saves each agent's durable record (presence, reason, day counters):
the newest wins, and is what a restarted engine restores.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any

from acd.records.writer import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LINGER,
    DEFAULT_MAX_BACKLOG,
    DEFAULT_WRITE_INTERVAL,
    BatchWriter,
    Saver,
)
from foundation.contact import (
    Activity,
    AgentEvent,
    AgentRecord,
    ContactEvent,
    ContactEventKind,
    ContactRecord,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LINGER",
    "DEFAULT_WRITE_INTERVAL",
    "AgentStateWriter",
    "ContactRecorder",
    "RecordSaver",
]

RecordSaver = Saver[ContactRecord]  # acd.records.ContactStore is the real one
_FOR_THE_RESTART = frozenset(
    {
        ContactEventKind.SURVEY_STARTED,
        ContactEventKind.SURVEY_QUESTION,
        ContactEventKind.RECORDING_STARTED,
    }
)


class ContactRecorder(BatchWriter[ContactRecord]):
    """A :class:`foundation.contact.ContactEventSink` that writes contact records in the
    background.  Call :meth:`contact_event` from the event loop's thread."""

    def __init__(
        self,
        store: RecordSaver,
        *,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        write_interval: float = DEFAULT_WRITE_INTERVAL,
        linger: float = DEFAULT_LINGER,
        max_backlog: int = DEFAULT_MAX_BACKLOG,
    ) -> None:
        super().__init__(
            store,
            key=_contact_id,
            merge=ended_is_final,
            what="contact",
            retry_initial=retry_initial,
            retry_max=retry_max,
            batch_size=batch_size,
            write_interval=write_interval,
            linger=linger,
            max_backlog=max_backlog,
        )

    def contact_event(self, event: ContactEvent) -> None:
        # A finished contact is on disk within the write interval; one still in progress may
        # wait up to the linger (a restart takes its call up from ARI), except the steps ARI
        # cannot tell a restart: the survey's progress and a recording (nothing in
        # ``GET /bridges`` shows one, and live recordings cannot be listed).
        urgent = event.contact.ended_at is not None or event.kind in _FOR_THE_RESTART
        self.put(event.contact, urgent=urgent)

    def agent_event(self, event: AgentEvent) -> None:
        """Agents are the :class:`AgentStateWriter`'s."""


class AgentStateWriter(BatchWriter[AgentRecord]):
    """A :class:`foundation.contact.ContactEventSink` that writes each agent's durable record
    (:class:`acd.records.AgentStateStore`) in the background."""

    def __init__(
        self,
        store: Saver[AgentRecord],
        *,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        write_interval: float = DEFAULT_WRITE_INTERVAL,
        linger: float = DEFAULT_LINGER,
    ) -> None:
        super().__init__(
            store,
            key=_agent_id,
            what="agent",
            retry_initial=retry_initial,
            retry_max=retry_max,
            write_interval=write_interval,
            linger=linger,
        )

        self._changes = AgentChanges()

    def contact_event(self, event: ContactEvent) -> None:
        """Contacts are the :class:`AgentStateWriter`'s."""

    def agent_event(self, event: AgentEvent) -> None:
        urgent = self._changes.urgency(event.record)
        if urgent is not None:
            self.put(event.record, urgent=urgent)


class AgentChanges:
    """Which agent records need writing, and how urgently."""

    def __init__(self) -> None:
        # The last record filed per agent, stamped alike: most agent events change only the
        # activity (reserved, ringing, on call), which is not stored, and need no write.
        self._filed: dict[str, tuple[Any, ...]] = {}

    def urgency(self, record: AgentRecord) -> bool | None:
        """None: nothing stored changed; else whether the write is urgent.  What the agent
        chose (presence, reason) is on disk within the write interval; the counters and the
        idle order may wait up to the linger."""
        # (presence, reason, ...) first; and whether the agent handles a contact now.
        stored = (*_stored_fields(record), record.state_activity in _HANDLING)
        filed = self._filed.get(record.agent_id)
        if filed == stored:
            return None
        self._filed[record.agent_id] = stored
        return filed is None or filed[:2] != stored[:2]


# Every field of an agent record but its time stamp, presence and reason first; one C call
# per event (a dataclasses.replace was ten times dearer, and agents' events are many).  The
# occupancy's figures change with every activity (reserved, ringing, on call...): they ride
# along with the writes made anyway, and a record is written when the agent starts or stops
# handling a contact (for an inbound call the answer and the wrap-up's end are written anyway:
# a contact counted, the idle order), so a call costs no more writes; a restart counts the
# stretch stored last, up to the restart, as the state it was stored in
# (acd.engine.agent_time.restore_figures): reserved and ringing are staffed like idle.
_HANDLING = frozenset({Activity.ON_CALL, Activity.WRAP_UP})
_RIDING_ALONG = ("at", "staffed_today_s", "handling_today_s", "state_since", "state_activity")
_stored_fields = operator.attrgetter(
    "presence",
    "reason",
    *(
        f.name
        for f in dataclasses.fields(AgentRecord)
        if f.name not in ("presence", "reason", *_RIDING_ALONG)
    ),
)


def _contact_id(record: ContactRecord) -> str:
    return record.id


def _agent_id(record: AgentRecord) -> str:
    return record.agent_id


def ended_is_final(older: ContactRecord, newer: ContactRecord) -> ContactRecord:
    """The snapshot to keep of two of one contact: the newer, unless only the older has ended."""
    if older.ended_at is not None and newer.ended_at is None:
        return older
    return newer
