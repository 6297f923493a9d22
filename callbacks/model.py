"""A callback (terugbelafspraak) and its attempts, as plain frozen data.

Times are timezone-aware (the store returns UTC).  A callback moves through :class:`CallbackStatus`
only by the pure rules of :mod:`callbacks.schedule`; the store applies them with conditional
updates, so two engine nodes can never both move the same callback.

    pending --claim--> dialing --answered-----------------------> completed
       ^                  |---busy/no_answer/failed, tries left--> pending (next_attempt_at)
       |                  |---agent_unavailable / interrupted----> pending (at once)
       |                  |---last try used-----------------------> no_answer | failed
       |                  '---deadline passed---------------------> expired
       '--- cancel (pending only) ---> cancelled;  deadline passed while pending ---> expired
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CallbackStatus(StrEnum):
    PENDING = "pending"  # waiting for a calm moment (and for next_attempt_at, if set)
    DIALING = "dialing"  # claimed by one engine node, which is placing an attempt
    COMPLETED = "completed"  # the citizen answered and was put through to an agent
    NO_ANSWER = "no_answer"  # every attempt allowed was made; the citizen never answered
    FAILED = "failed"  # every attempt allowed was made and none could even reach the phone
    CANCELLED = "cancelled"  # by a supervisor, with a reason
    EXPIRED = "expired"  # the deadline passed before the citizen was reached

    @property
    def is_open(self) -> bool:
        """Still to be placed (or being placed): a second request for it is merged."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({CallbackStatus.PENDING, CallbackStatus.DIALING})


class AttemptResult(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"  # the call could not be placed (unreachable, congestion, bad number)
    AGENT_UNAVAILABLE = "agent_unavailable"  # our side: no agent to take it after all
    # The engine stopped (crash, kill -9) while the attempt was under way; found at restart.
    INTERRUPTED = "interrupted"

    @property
    def counts(self) -> bool:
        """Whether the attempt used up one of the citizen's tries.  The ones that did not
        reach them because of us (no agent after all, an engine restart) do not."""
        return self in CITIZEN_RESULTS


# The results of attempts that rang (or tried to ring) the citizen and did not reach them.
CITIZEN_RESULTS = frozenset({AttemptResult.BUSY, AttemptResult.NO_ANSWER, AttemptResult.FAILED})


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try to reach the citizen; ``seq`` counts from 1 per callback and is unique with
    the callback id, which is what stops two nodes from placing the same attempt."""

    seq: int
    started_at: datetime
    ended_at: datetime | None = None
    result: AttemptResult | None = None  # None while under way
    agent_id: str | None = None
    node_id: str | None = None  # the engine node that placed it

    @property
    def under_way(self) -> bool:
        return self.result is None


@dataclass(frozen=True, slots=True)
class Callback:
    """A promise to call ``number`` back about ``line_code`` before ``due_by``.

    ``priority`` is the callback's own base priority (the original contact's), on the scale of
    live contacts; :func:`callbacks.schedule.priority` adds the urgency of the deadline.
    ``merged_count`` counts later requests from the same number for the same line code that
    were folded into this one.  ``reason`` says why it ended other than completed.
    """

    id: str
    number: str  # E.164, such as +3212345678
    line: str
    line_code: str
    contact_id: str | None  # the contact (call) it was requested in; None when made by hand
    requested_at: datetime
    due_by: datetime
    status: CallbackStatus = CallbackStatus.PENDING
    priority: int = 0
    attempts: tuple[Attempt, ...] = ()
    agent_id: str | None = None  # the agent who completed it
    reason: str | None = None
    next_attempt_at: datetime | None = None  # None: as soon as it is calm
    merged_count: int = 0
    claimed_by: str | None = None  # the node dialling it, while dialing
    closed_at: datetime | None = None  # when it reached a final status

    @property
    def current_attempt(self) -> Attempt | None:
        """The attempt under way (only while dialing)."""
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and last.under_way else None

    @property
    def citizen_attempts(self) -> int:
        """Attempts that used up one of the citizen's tries."""
        return sum(1 for a in self.attempts if a.result is not None and a.result.counts)

    def overdue(self, now: datetime) -> bool:
        return self.status.is_open and now >= self.due_by

    @property
    def completed_within_deadline(self) -> bool:
        """Completed no later than ``due_by``: the promise kept (the SLA metric's label)."""
        return (
            self.status is CallbackStatus.COMPLETED
            and self.closed_at is not None
            and self.closed_at <= self.due_by
        )
