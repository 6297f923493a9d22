"""The simulated PBX's objects and their ARI JSON shapes.

Each object renders itself exactly as Asterisk 22 serialises it (same keys, same order), so a
snapshot is just ``to_json()`` at the moment an event is published.  Runtime bookkeeping (timers,
scripts, dial state) sits on the same objects but never reaches the JSON.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from emulator.scripts import CallerScript, EndpointBehaviour

#: Channel states in which Asterisk refuses media and state operations with 412.
OUTBOUND_PRE_ANSWER_STATES = frozenset({"Down", "Rsrvd", "Ringing"})


class ChannelKind(Enum):
    """How a channel came to exist; decides its dialplan snapshot and which events it gets."""

    INBOUND = "inbound"  # a phone dialled a number whose dialplan runs Stasis()
    ORIGINATED = "originated"  # POST /channels (one-step originate)
    CREATED = "created"  # POST /channels/create, dialled later with /dial
    LOCAL_PEER = "local_peer"  # the ``;2`` half of a Local channel
    SNOOP = "snoop"  # POST /channels/{id}/snoop


@dataclass(slots=True)
class Party:
    name: str = ""
    number: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "number": self.number}


@dataclass(slots=True)
class DialState:
    """An outbound leg being dialled: what to dial and how the far end behaves."""

    dialstring: str
    behaviour: EndpointBehaviour
    timeout_s: float | None
    app_args: tuple[str, ...] = ()
    extension: str | None = None
    started: bool = False
    rang: bool = False
    caller_id: str | None = None  # the ``caller`` of POST /channels/{id}/dial
    timeout_handle: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class Channel:
    id: str
    name: str
    kind: ChannelKind
    technology: str
    resource: str
    state: str
    protocol_id: str
    creationtime: str
    context: str
    exten: str
    priority: int
    app_name: str = ""
    app_data: str = ""
    caller: Party = field(default_factory=Party)
    connected: Party = field(default_factory=Party)
    language: str = "en"
    accountcode: str = ""
    # --- runtime, never serialised ---
    created_at: float = 0.0
    answered_at: float | None = None
    stasis_app: str | None = None
    stasis_args: tuple[str, ...] = ()
    origin_app: str | None = None  # the app an originate/create subscribed it to
    bridge_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    moh_class: str | None = None
    on_hold: bool = False
    ringing_indicated: bool = False
    silenced: bool = False
    audiohooked: bool = False  # snooped: the bridge can no longer go native_rtp
    hanging_up: bool = False
    hangup_cause: int = 16
    dial: DialState | None = None
    local_peer_id: str | None = None
    snoop_target_id: str | None = None
    snoop_ids: list[str] = field(default_factory=list)
    script: CallerScript | None = None
    talk_started: bool = False
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def endpoint_key(self) -> str:
        return f"{self.technology}/{self.resource}"

    @property
    def is_sip(self) -> bool:
        return self.technology == "PJSIP"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": self.caller.to_json(),
            "connected": self.connected.to_json(),
            "accountcode": self.accountcode,
            "dialplan": {
                "context": self.context,
                "exten": self.exten,
                "priority": self.priority,
                "app_name": self.app_name,
                "app_data": self.app_data,
            },
            "creationtime": self.creationtime,
            "language": self.language,
        }

    def cancel_timers(self) -> None:
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()


@dataclass(slots=True)
class Bridge:
    id: str
    bridge_type: str  # "mixing" or "holding"
    name: str
    creationtime: str
    technology: str
    channel_ids: list[str] = field(default_factory=list)
    moh_class: str | None = None
    destroyed: bool = False
    #: Names of Asterisk-internal channels in it that count as parties (a bridge's recorder),
    #: invisible everywhere except in the peers' ``BRIDGEPEER``.
    internal: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channel_ids),
            "creationtime": self.creationtime,
            "video_mode": "talker",
        }


@dataclass(slots=True)
class Playback:
    id: str
    media: list[str]
    target_uri: str
    language: str
    state: str = "queued"
    index: int = 0
    timer: asyncio.TimerHandle | None = None
    files: list[float] | None = None  # the current item's files still to play; None: a tone
    saying: bool = False  # the current item is said (number:, digits:, characters:)
    controllable: bool = False  # a sound, recording or tone has played: stops are accepted
    cut: bool = False  # a stop already cut a file of the current said item

    @property
    def target_kind(self) -> str:
        return self.target_uri.partition(":")[0]

    @property
    def target_id(self) -> str:
        return self.target_uri.partition(":")[2]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "media_uri": self.media[self.index]}
        # A playback stopped early still names the sound it never played (moh_announce_dtmf).
        if self.index + 1 < len(self.media):
            out["next_media_uri"] = self.media[self.index + 1]
        out.update(target_uri=self.target_uri, language=self.language, state=self.state)
        return out


@dataclass(slots=True)
class LiveRecording:
    name: str
    format: str
    target_uri: str
    started_at: float
    state: str = "recording"
    duration: int | None = None
    timer: asyncio.TimerHandle | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": self.target_uri,
        }
        if self.duration is not None:
            out["duration"] = self.duration
        return out


@dataclass(slots=True)
class StoredRecording:
    name: str
    format: str
    duration_s: float

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "format": self.format}


@dataclass
class CallRecord:
    """What happened to one channel, kept after it is gone (demo statistics, test asserts)."""

    id: str
    name: str
    kind: str
    exten: str
    caller_number: str
    created_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    cause: int | None = None
    rejected: bool = False
    bridged_with: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, chan: Channel) -> CallRecord:
        return cls(
            chan.id, chan.name, chan.kind.value, chan.exten, chan.caller.number, chan.created_at
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "exten": self.exten,
            "caller_number": self.caller_number,
            "created_at": self.created_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "cause": self.cause,
            "rejected": self.rejected,
            "bridged_with": list(self.bridged_with),
        }
