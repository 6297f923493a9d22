"""What the engine core asks the shell to do.  The core never performs I/O: it returns these,
and ``acd.engine.runtime`` executes them against ARI, the timer wheel and the event sinks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from acd.engine.timers import TimerKey
from callbacks.model import AttemptResult
from foundation.contact import AgentEvent, ContactEvent


@dataclass(frozen=True, slots=True)
class Answer:
    channel_id: str


@dataclass(frozen=True, slots=True)
class Play:
    channel_id: str
    media: tuple[str, ...]
    playback_id: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Cut a prompt short (a digit interrupts a menu, the agent answers during an
    announcement).  Real Asterisk never stops a playback on a digit by itself."""

    playback_id: str


@dataclass(frozen=True, slots=True)
class StartMoh:
    channel_id: str
    moh_class: str


@dataclass(frozen=True, slots=True)
class StopMoh:
    channel_id: str


@dataclass(frozen=True, slots=True)
class Originate:
    """Ring an agent or a citizen (``app_args`` built by ``acd.engine.legs``).
    ``timeout_s`` is handed to Asterisk, which gives up by itself
    (ChannelDestroyed cause 19); the core also keeps a guard timer in case that event is lost."""

    channel_id: str
    endpoint: str
    app_args: tuple[str, ...]
    caller_id: str
    timeout_s: int
    originator: str | None


@dataclass(frozen=True, slots=True)
class Hangup:
    channel_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CreateBridge:
    bridge_id: str
    bridge_type: str = "mixing"


@dataclass(frozen=True, slots=True)
class AddToBridge:
    bridge_id: str
    channel_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveFromBridge:
    bridge_id: str
    channel_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DestroyBridge:
    bridge_id: str


@dataclass(frozen=True, slots=True)
class Snoop:
    """A snoop channel ``snoop_id`` on ``channel_id`` (``spy``/``whisper``: none, in, out,
    both), entering the app with ``app_args``."""

    channel_id: str
    snoop_id: str
    spy: str
    whisper: str
    app_args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoreCallback:
    """Store a callback durably; the shell answers with CallbackStored or CallbackStoreFailed.
    The caller hears the confirmation only after that answer: a crash cannot lose a callback
    that was promised."""

    contact_id: str
    number: str  # E.164
    line: str
    line_code: str
    requested_at: datetime
    due_by: datetime


@dataclass(frozen=True, slots=True)
class FinishCallback:
    """A callback attempt ended with ``result``: the dialer records it and moves the callback
    on (completed, retry later, give up)."""

    callback_id: str
    attempt_seq: int
    line: str
    result: AttemptResult
    agent_id: str | None


@dataclass(frozen=True, slots=True)
class PlaceCallbackNow:
    """Virtual hold: claim this stored callback at once and route it with the caller's
    original queue time (its place), rather than waiting for a calm moment."""

    callback_id: str
    waiting_since: datetime


@dataclass(frozen=True, slots=True)
class StartTimer:
    key: TimerKey
    delay_s: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: TimerKey


@dataclass(frozen=True, slots=True)
class RecordBridge:
    """``POST /bridges/{id}/record``: the conversation recorded as ``name`` (the contact's)."""

    bridge_id: str
    name: str
    format: str = "wav"


@dataclass(frozen=True, slots=True)
class RecordingStep:
    """A call recording began or ended (its bridge went): its metadata, for the store."""

    name: str
    contact_id: str
    agent_id: str | None
    line: str
    line_code: str
    format: str
    started_at: datetime
    ended_at: datetime | None = None
    on_demand: bool = False
    # Asterisk refused to record (a 500 when its spool's recording folder is missing, the
    # bridge gone): there is no file, so the store drops the row written at the start.
    refused: bool = False


class SurveyStepKind(StrEnum):
    STARTED = "started"  # the caller left the agent's bridge for the survey
    ANSWERED = "answered"  # one question scored


@dataclass(frozen=True, slots=True)
class SurveyStep:
    """A step of a caller's survey, for its store (each answer at once) and its metrics."""

    kind: SurveyStepKind
    contact_id: str
    agent_id: str | None
    line: str
    line_code: str
    at: datetime
    question: str = ""  # the answered question's id
    position: int = 0  # its place in the survey, from 0
    score: int = 0  # 1-10
    first: bool = False  # the caller's first answer: they responded


@dataclass(frozen=True, slots=True)
class Emit:
    event: ContactEvent | AgentEvent


@dataclass(frozen=True, slots=True)
class MonitorEvent:
    """A supervisor's monitoring session started (their phone joined the call) or ended (why:
    ``stopped``, ``supervisor_hung_up``, ``call_ended``, ``not_answered``): for the audit
    log and the live pages."""

    kind: str  # "started" or "ended"
    at: datetime
    agent_id: str
    contact_id: str
    supervisor: str
    mode: str
    endpoint: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class NotifyMonitor:
    event: MonitorEvent


AriCommand = (
    Answer
    | Play
    | StopPlayback
    | StartMoh
    | StopMoh
    | Originate
    | Hangup
    | CreateBridge
    | AddToBridge
    | RemoveFromBridge
    | DestroyBridge
    | Snoop
    | RecordBridge
)
Command = (
    AriCommand
    | StoreCallback
    | FinishCallback
    | PlaceCallbackNow
    | StartTimer
    | CancelTimer
    | Emit
    | NotifyMonitor
    | SurveyStep
    | RecordingStep
)
