"""Call recording: the conversation's bridge recorded through ARI, named by the contact.

When caller and agent are bridged, the line's share of calls (per line code, else the line's)
is recorded, chosen by a hash of the contact id (as the survey's share: deterministic, no state
in the core); a supervisor may ask for any connected call (``RecordRequested``).  The recording
ends with the bridge: at the contact's end, or when the caller leaves for the survey.  Each
start and end is a :class:`~acd.engine.commands.RecordingStep` for the recordings' store.

The start is a contact event as well (``recording_started_at`` on the record, written at once):
ARI cannot tell a restarted engine that a bridge is recorded (``GET /bridges`` lists only the
channels, and live recordings cannot be listed), so recovery learns it from the stored record
(:func:`taken_up`) and the recording still gets its end, and with it its retention.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import replace
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.agents import AgentBook
from acd.engine.contacts import ContactState, ContactTable, Phase
from foundation.contact import ContactEventKind
from foundation.errors import RefusedTransition

log = logging.getLogger(__name__)


def recorded(contact_id: str, share: float) -> bool:
    """Whether this call falls in the recorded share (salted apart from the survey's)."""
    if share <= 0.0:
        return False
    return share >= 1.0 or zlib.crc32(f"rec:{contact_id}".encode()) / 2**32 < share


def recording_name(contact_id: str) -> str:
    return f"rec-{contact_id}"


class Recordings:
    def __init__(self, agents: AgentBook, table: ContactTable) -> None:
        self._agents = agents
        self._table = table

    def connected(self, contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
        """Caller and agent are bridged: record the line's share."""
        if contact.phase is not Phase.CONNECTED or contact.line is None:
            return
        rule = contact.line.recording
        if recorded(contact.id, rule.share_for(contact.record.line_code or "")):
            self._start(contact, now, out, on_demand=False)

    def request(self, ev: inp.RecordRequested, now: datetime, out: list[cmd.Command]) -> None:
        agent = self._agents.require(ev.agent_id)
        contact = self._table.get(agent.contact_id or "")
        if contact is None or contact.phase is not Phase.CONNECTED:
            raise RefusedTransition("not_on_call", f"agent {agent.id} is not talking to a caller")
        if contact.recording is None:
            self._start(contact, now, out, on_demand=True)

    def _start(
        self, contact: ContactState, now: datetime, out: list[cmd.Command], *, on_demand: bool
    ) -> None:
        assert contact.bridge_id is not None
        step = _step(contact, now, on_demand)
        contact.recording = step
        contact.bridge_shared = True  # Asterisk's recorder channel joins the bridge
        contact.record.recording_started_at = now
        log.info("contact %s: recording %s", contact.id, step.name)
        out += [cmd.RecordBridge(contact.bridge_id, step.name, step.format), step]
        self._table.emit(contact, ContactEventKind.RECORDING_STARTED, now, out)

    def refused(self, ev: inp.RecordingRefused, now: datetime, out: list[cmd.Command]) -> None:
        """Asterisk refused the recording: the contact is not recorded (nor taken up as
        recorded after a restart), and its row goes, as there is no file to list or keep."""
        contact_id = ev.name.removeprefix("rec-")
        log.warning("contact %s: recording %s refused: %s", contact_id, ev.name, ev.reason)
        contact = self._table.get(contact_id)
        step = None if contact is None else contact.recording
        if contact is None or step is None or step.name != ev.name:
            # The call ended before the refusal came back: only the name matters to the store.
            out.append(cmd.RecordingStep(ev.name, contact_id, None, "", "", "", now, refused=True))
            return
        out.append(replace(step, refused=True))
        contact.recording = None
        contact.record.recording_started_at = None


def taken_up(contact: ContactState) -> cmd.RecordingStep | None:
    """The recording an earlier run started on this contact's bridge, as its store has it
    (after a restart).  Whether a supervisor asked for it is not stored: a call outside the
    line's share was.  Both this and the format assume the line's settings are unchanged."""
    started_at = contact.record.recording_started_at
    if started_at is None:
        return None
    share = contact.line.recording.share_for(contact.record.line_code or "") if contact.line else 0
    return _step(contact, started_at, on_demand=not recorded(contact.id, share))


def _step(contact: ContactState, started_at: datetime, on_demand: bool) -> cmd.RecordingStep:
    record = contact.record
    return cmd.RecordingStep(
        name=recording_name(contact.id),
        contact_id=contact.id,
        agent_id=record.agent_id,
        line=record.line or "",
        line_code=record.line_code or "",
        format=contact.line.recording.format if contact.line is not None else "wav",
        started_at=started_at,
        on_demand=on_demand,
    )


def recording_over(contact: ContactState, now: datetime, out: list[cmd.Command]) -> None:
    """The recorded bridge is going: the recording ends with it."""
    if contact.recording is not None:
        out.append(replace(contact.recording, ended_at=now))
        contact.recording = None
