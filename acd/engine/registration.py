"""Registering a contact (the seed's wrap-up): the agent notes the question, picks a contact
reason of the line code, links the scripts used, and closes the contact.

The seed: "after closing a contact a new call can come in at once".  So closing in wrap-up
ends the wrap-up there and then; closing while still talking registers the contact now and
the call's end skips the wrap-up (the agent did the after-call work during the call).  The
line code's ``wrap_up_s`` is only the most an agent who does not close gets.

The registration goes onto the contact's own record (the live one, which the contact table
also ends), and a ``registered`` contact event carries it to the contact records.
"""

from __future__ import annotations

import logging
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine.agents import AgentBook
from acd.engine.contacts import ContactTable, Phase
from foundation.contact import (
    Activity,
    ContactEvent,
    ContactEventKind,
    ContactRecord,
    Registration,
)
from foundation.errors import RefusedTransition

log = logging.getLogger(__name__)

# Where the agent is talking to the caller (a transfer ringing: the caller is still theirs).
_TALKING = frozenset({Phase.CONNECTED, Phase.TRANSFERRING})


class Registrations:
    def __init__(
        self, config_reasons: dict[str, tuple[str, ...]], agents: AgentBook, table: ContactTable
    ) -> None:
        self._reasons = config_reasons
        self._agents = agents
        self._table = table

    def close(self, ev: inp.CloseContact, now: datetime, out: list[cmd.Command]) -> None:
        # Every refusal before anything changes.
        agent = self._agents.require(ev.agent_id)
        contact = self._table.get(agent.contact_id or "")
        talking = (
            contact is not None and contact.phase in _TALKING and agent.activity is Activity.ON_CALL
        )
        handled = agent.handled if agent.activity is Activity.WRAP_UP else None
        if talking and contact is not None:
            record = contact.record
        elif handled is not None:
            record = handled.record
        else:
            raise RefusedTransition(
                "nothing_to_close", f"agent {agent.id} has no call in progress or in wrap-up"
            )
        self._check_reason(record, ev.reason)
        record.registration = Registration(
            agent_id=agent.id, note=ev.note, reason=ev.reason, links=ev.links, at=now
        )
        out.append(cmd.Emit(ContactEvent(ContactEventKind.REGISTERED, now, record.snapshot())))
        log.info("agent %s closed contact %s (%s)", agent.id, record.id, ev.reason)
        if talking:
            agent.closed_contact_id = record.id
        else:
            self._agents.end_wrap_up(agent, now, out)

    def _check_reason(self, record: ContactRecord, reason: str) -> None:
        allowed = self._reasons.get(record.line_code or "", ())
        if reason not in allowed:
            raise RefusedTransition(
                "unknown_reason",
                f"{reason!r} is not a contact reason of line code {record.line_code!r};"
                f" one of: {', '.join(allowed) or '(none configured)'}",
            )
