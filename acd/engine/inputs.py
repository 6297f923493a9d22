"""What happens to the engine core: ARI events translated by the shell into domain terms, timer
expiries, results of commands that failed, and requests from the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from acd.engine.legs import LegRole
from acd.engine.timers import TimerKey
from foundation.contact import Activity, ContactRecord, Presence


@dataclass(frozen=True, slots=True)
class CallArrived:
    """A channel entered the app that is not one of our agent legs (StasisStart)."""

    channel_id: str
    args: tuple[str, ...]
    exten: str
    caller_number: str
    caller_name: str = ""
    # When Asterisk made the channel, for a call found on the PBX by a restart with no stored
    # record (it came, or its record was still lingering, as the engine died); None: now.
    arrived_at: datetime | None = None
    # Answered already (the dialplan ran ``Answer()`` before ``Stasis()``): not answered
    # again, one ARI request fewer for the engine and for Asterisk.
    up: bool = False


@dataclass(frozen=True, slots=True)
class AgentLegRinging:
    """The agent's phone rings (``Dial`` with dialstatus RINGING for our agent leg)."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class AgentLegAnswered:
    """An agent leg we originated entered the app: the agent picked up (StasisStart)."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class LegsBridged:
    """ARI accepted an ``addChannel``: the channels are in the bridge (Asterisk answers 204 once
    each has joined, 400 "Channel not found" for one that hung up first)."""

    bridge_id: str
    channel_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelGone:
    """A channel left the app or was destroyed (StasisEnd, ChannelDestroyed, or found missing
    when resynchronising).  ``cause`` is the hang-up cause when Asterisk gave one."""

    channel_id: str
    cause: int | None = None


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """One key pressed by the caller (Asterisk reports it when the digit ends)."""

    channel_id: str
    digit: str


@dataclass(frozen=True, slots=True)
class PlaybackDone:
    playback_id: str


@dataclass(frozen=True, slots=True)
class CallbackStored:
    contact_id: str
    callback_id: str
    merged: bool  # the number already had a pending callback for this line code


@dataclass(frozen=True, slots=True)
class CallbackStoreFailed:
    contact_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CallbackDue:
    """The dialer claimed a stored callback for an attempt: find an agent, then the citizen."""

    callback_id: str
    attempt_seq: int
    number: str  # E.164
    line: str
    line_code: str
    requested_at: datetime  # its age decides its place among callbacks
    priority: int = 0


@dataclass(frozen=True, slots=True)
class CitizenAnswered:
    """The citizen we dialled for a callback picked up (StasisStart ``citizen,<contact>``)."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class TimerFired:
    key: TimerKey


@dataclass(frozen=True, slots=True)
class OriginateFailed:
    """ARI refused to originate (500 Allocation failed, 4xx): the agent cannot be dialled."""

    channel_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ChannelMissing:
    """A command on a caller channel answered 404: the caller is gone (a normal race).  Also
    when Asterisk refuses an originate because its ``originator`` (this channel) is gone, and
    when a caller cannot be answered at all (the runtime hangs it up)."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class BridgeMissing:
    """ARI answered 404 for a bridge of ours (an ``addChannel``): it was destroyed behind the
    engine's back, e.g. a kept one by someone at Asterisk's console."""

    bridge_id: str


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """A channel as ``GET /channels`` shows it, in the core's terms."""

    id: str
    name: str  # e.g. PJSIP/1002-00000003: the endpoint it belongs to
    up: bool
    role: LegRole | None  # in our Stasis app: what its args say it is; else None
    dialling: bool = False  # an outgoing leg not answered yet (outside any Stasis app)
    exten: str = ""
    caller_number: str = ""
    caller_name: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LiveBridge:
    id: str
    channels: frozenset[str]
    ours: bool  # created by our app (so ours to destroy when nobody needs it)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AriState:
    """What ARI says exists, read after every (re)connection of the events WebSocket: real
    Asterisk replays nothing that happened while no one listened.

    ``records`` are the stored contacts of this engine not ended yet (read on the first
    connection, after a restart; empty on a reconnect, when the core still knows its own)."""

    channels: tuple[LiveChannel, ...]
    bridges: tuple[LiveBridge, ...] = ()
    records: tuple[ContactRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class TransferRequested:
    """The agent asks to transfer their caller to an escalation point by phone (closed mode).
    Whether the point may be called now was checked by whoever asks (``escalations``)."""

    agent_id: str
    point_id: str
    number: str  # E.164, dialled through ``EngineConfig.escalation_dial``


@dataclass(frozen=True, slots=True)
class CloseContact:
    """The agent registers their contact (note, contact reason, links) and closes it: in
    wrap-up that ends the wrap-up at once; while talking, the call's end then skips it."""

    agent_id: str
    note: str
    reason: str
    links: tuple[str, ...] = ()


class MonitorMode(StrEnum):
    LISTEN = "listen"  # hear caller and agent
    WHISPER = "whisper"  # hear both, speak to the agent only
    BARGE = "barge"  # join the call: caller and agent hear the supervisor


@dataclass(frozen=True, slots=True)
class MonitorRequested:
    """A supervisor asks to monitor ``agent_id``'s call from their own phone ``endpoint``."""

    agent_id: str
    mode: MonitorMode
    endpoint: str
    supervisor: str  # who asks (the user's name), for the audit of the session


@dataclass(frozen=True, slots=True)
class MonitorStopRequested:
    agent_id: str


@dataclass(frozen=True, slots=True)
class MonitorLegEntered:
    """A monitoring leg entered the app: the supervisor's phone picked up (``supervisor,
    <agent>``), or the snoop made on the agent's leg (``snoop,<agent>``), which Asterisk puts
    into the app on its own thread, before or after answering the request that made it."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class EmailEscalated:
    """The agent's question was stored in the escalation mail outbox for ``point_id``: the
    contact ends as ``escalated_email`` (unless a phone transfer takes it further)."""

    agent_id: str
    point_id: str


@dataclass(frozen=True, slots=True)
class EscalationAnswered:
    """The escalation point's leg we originated entered the app: it answered."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class SurveyRequested:
    """The agent ends the conversation with "To survey": their caller answers the line's
    survey and the agent is free."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class RecordRequested:
    """A supervisor asks that the agent's conversation be recorded from now on."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class RecordingRefused:
    """Asterisk answered ``POST /bridges/{id}/record`` with an error: no file is being made."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class AgentLogin:
    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentLogout:
    agent_id: str


@dataclass(frozen=True, slots=True)
class SetPresence:
    agent_id: str
    presence: Presence
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SharedPresence:
    presence: Presence
    reason: str | None
    since: datetime | None


@dataclass(frozen=True, slots=True)
class SharedActivity:
    activity: Activity
    idle_since: datetime | None


@dataclass(frozen=True, slots=True)
class SharedCounters:
    day: date | None
    contacts: int
    talk_time_s: float
    missed_in_a_row: int


@dataclass(frozen=True, slots=True)
class AgentShared:
    """Another engine node changed an agent of the shared pool (acd.state.pool): the parts
    it changed (None: unchanged).  ``released``: a node let go of its reservation of the
    agent, so an agent free here is offered again (this node may have lost a race for it)."""

    agent_id: str
    presence: SharedPresence | None = None
    activity: SharedActivity | None = None
    counters: SharedCounters | None = None
    released: bool = False


Input = (
    AgentShared
    | CallArrived
    | AgentLegRinging
    | AgentLegAnswered
    | LegsBridged
    | ChannelGone
    | PlaybackDone
    | DtmfReceived
    | TimerFired
    | CallbackStored
    | CallbackDue
    | CitizenAnswered
    | CallbackStoreFailed
    | OriginateFailed
    | ChannelMissing
    | BridgeMissing
    | AriState
    | TransferRequested
    | EmailEscalated
    | EscalationAnswered
    | SurveyRequested
    | RecordRequested
    | RecordingRefused
    | AgentLogin
    | AgentLogout
    | SetPresence
    | CloseContact
    | MonitorRequested
    | MonitorStopRequested
    | MonitorLegEntered
)
