"""ARI WebSocket events, parsed at one boundary into frozen dataclasses.

Only the fields the engine reads are typed; ``raw`` keeps the whole message for logging.  An
event type we do not model becomes :class:`UnknownEvent`, and a modelled one with a missing or
mistyped field becomes :class:`MalformedEvent`: both are logged by the reader and survived,
never raised (real Asterisk adds event types between versions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    state: str
    caller_number: str = ""
    caller_name: str = ""
    exten: str = ""
    context: str = ""
    app_name: str = ""
    app_data: str = ""
    created_at: datetime | None = None  # ``creationtime``: a restart keeps true wait times

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Channel:
        caller = raw.get("caller") or {}
        dialplan = raw.get("dialplan") or {}
        return cls(
            id=_str(raw, "id"),
            name=str(raw.get("name", "")),
            state=str(raw.get("state", "")),
            caller_number=str(caller.get("number", "")),
            caller_name=str(caller.get("name", "")),
            exten=str(dialplan.get("exten", "")),
            context=str(dialplan.get("context", "")),
            app_name=str(dialplan.get("app_name", "")),
            app_data=str(dialplan.get("app_data", "")),
            created_at=_creation_time(raw),
        )

    def stasis_args(self) -> list[str]:
        """The Stasis() arguments after the app name, from ``dialplan.app_data``.

        Used to rebuild a lost ``StasisStart`` when resynchronising after an outage."""
        if self.app_name != "Stasis" or not self.app_data:
            return []
        return self.app_data.split(",")[1:]


@dataclass(frozen=True, slots=True)
class Bridge:
    id: str
    bridge_type: str
    channels: tuple[str, ...] = ()
    created_at: datetime | None = None  # ``creationtime``: when the call was bridged

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Bridge:
        return cls(
            id=_str(raw, "id"),
            bridge_type=str(raw.get("bridge_type", "")),
            channels=tuple(str(c) for c in raw.get("channels", ())),
            created_at=_creation_time(raw),
        )


@dataclass(frozen=True, slots=True)
class Playback:
    id: str
    target_uri: str
    media_uri: str
    state: str

    @property
    def channel_id(self) -> str | None:
        """The channel the playback plays to, or None for a bridge playback."""
        prefix = "channel:"
        return self.target_uri[len(prefix) :] if self.target_uri.startswith(prefix) else None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Playback:
        return cls(
            id=_str(raw, "id"),
            target_uri=str(raw.get("target_uri", "")),
            media_uri=str(raw.get("media_uri", "")),
            state=str(raw.get("state", "")),
        )


@dataclass(frozen=True, slots=True)
class AriEvent:
    """Base of every parsed event."""

    type: str
    application: str
    timestamp: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ChannelEvent(AriEvent):
    channel: Channel


@dataclass(frozen=True, slots=True)
class StasisStart(ChannelEvent):
    args: tuple[str, ...] = ()
    replace_channel: str | None = None


@dataclass(frozen=True, slots=True)
class StasisEnd(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True)
class ChannelStateChange(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True)
class ChannelDestroyed(ChannelEvent):
    cause: int = 0
    cause_txt: str = ""
    tech_cause: int | None = None


@dataclass(frozen=True, slots=True)
class ChannelHangupRequest(ChannelEvent):
    cause: int | None = None
    soft: bool = False


@dataclass(frozen=True, slots=True)
class ChannelDtmfReceived(ChannelEvent):
    digit: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class ChannelVarset(AriEvent):
    variable: str
    value: str
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class ChannelEnteredBridge(ChannelEvent):
    bridge: Bridge | None = None


@dataclass(frozen=True, slots=True)
class ChannelLeftBridge(ChannelEvent):
    bridge: Bridge | None = None


@dataclass(frozen=True, slots=True)
class BridgeDestroyed(AriEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True)
class Dial(AriEvent):
    peer: Channel
    dialstatus: str
    dialstring: str = ""
    caller: Channel | None = None


@dataclass(frozen=True, slots=True)
class PlaybackEvent(AriEvent):
    playback: Playback


@dataclass(frozen=True, slots=True)
class PlaybackStarted(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class PlaybackContinuing(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class PlaybackFinished(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class RecordingEvent(AriEvent):
    name: str
    state: str
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class RecordingStarted(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True)
class RecordingFinished(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True)
class EndpointStateChange(AriEvent):
    technology: str
    resource: str
    state: str
    channel_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApplicationReplaced(AriEvent):
    pass


@dataclass(frozen=True, slots=True)
class UnknownEvent(AriEvent):
    """An event type the engine does not model; logged at debug level and ignored."""


@dataclass(frozen=True, slots=True)
class MalformedEvent(AriEvent):
    """A modelled event type whose fields did not parse; logged as a warning and ignored."""

    error: str = ""


def _creation_time(raw: Mapping[str, Any]) -> datetime | None:
    """``creationtime`` as Asterisk writes it (``2026-11-22T23:34:12.044+0000``), or None when
    it is missing or unreadable: it only refines what a resync knows."""
    value = raw.get("creationtime")
    if not isinstance(value, str):
        return None
    try:
        # fromisoformat (C) rather than strptime (Python, a tenth of a millisecond per channel
        # event); it also takes forms strptime would not, so a time without zone is refused.
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, expected str")
    return value


def _channel_event(
    cls: type[ChannelEvent],
) -> Callable[[Mapping[str, Any], dict[str, Any]], AriEvent]:
    def build(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
        return cls(**base, channel=Channel.parse(raw["channel"]))

    return build


def _playback_event(
    cls: type[PlaybackEvent],
) -> Callable[[Mapping[str, Any], dict[str, Any]], AriEvent]:
    def build(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
        return cls(**base, playback=Playback.parse(raw["playback"]))

    return build


def _recording_event(
    cls: type[RecordingEvent],
) -> Callable[[Mapping[str, Any], dict[str, Any]], AriEvent]:
    def build(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
        rec = raw["recording"]
        duration = rec.get("duration")
        return cls(
            **base,
            name=_str(rec, "name"),
            state=str(rec.get("state", "")),
            duration=int(duration) if duration is not None else None,
        )

    return build


def _bridge_membership(
    cls: type[ChannelEnteredBridge] | type[ChannelLeftBridge],
) -> Callable[[Mapping[str, Any], dict[str, Any]], AriEvent]:
    def build(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
        bridge = raw.get("bridge")
        return cls(
            **base,
            channel=Channel.parse(raw["channel"]),
            bridge=Bridge.parse(bridge) if bridge else None,
        )

    return build


def _stasis_start(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    replace = raw.get("replace_channel")
    return StasisStart(
        **base,
        channel=Channel.parse(raw["channel"]),
        args=tuple(str(a) for a in raw.get("args", ())),
        replace_channel=str(replace["id"]) if replace else None,
    )


def _channel_destroyed(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    tech = raw.get("tech_cause")
    return ChannelDestroyed(
        **base,
        channel=Channel.parse(raw["channel"]),
        cause=int(raw.get("cause", 0)),
        cause_txt=str(raw.get("cause_txt", "")),
        tech_cause=int(tech) if tech is not None else None,
    )


def _hangup_request(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    cause = raw.get("cause")
    return ChannelHangupRequest(
        **base,
        channel=Channel.parse(raw["channel"]),
        cause=int(cause) if cause is not None else None,
        soft=bool(raw.get("soft", False)),
    )


def _dtmf(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    return ChannelDtmfReceived(
        **base,
        channel=Channel.parse(raw["channel"]),
        digit=_str(raw, "digit"),
        duration_ms=int(raw.get("duration_ms", 0)),
    )


def _varset(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    chan = raw.get("channel")
    return ChannelVarset(
        **base,
        variable=str(raw.get("variable", "")),
        value=str(raw.get("value", "")),
        channel=Channel.parse(chan) if chan else None,
    )


def _dial(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    caller = raw.get("caller")
    return Dial(
        **base,
        peer=Channel.parse(raw["peer"]),
        dialstatus=str(raw.get("dialstatus", "")),
        dialstring=str(raw.get("dialstring", "")),
        caller=Channel.parse(caller) if caller else None,
    )


def _bridge_destroyed(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    return BridgeDestroyed(**base, bridge=Bridge.parse(raw["bridge"]))


def _endpoint_state(raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
    ep = raw["endpoint"]
    return EndpointStateChange(
        **base,
        technology=str(ep.get("technology", "")),
        resource=str(ep.get("resource", "")),
        state=str(ep.get("state", "")),
        channel_ids=tuple(str(c) for c in ep.get("channel_ids", ())),
    )


def _plain(cls: type[AriEvent]) -> Callable[[Mapping[str, Any], dict[str, Any]], AriEvent]:
    def build(_raw: Mapping[str, Any], base: dict[str, Any]) -> AriEvent:
        return cls(**base)

    return build


_PARSERS: dict[str, Callable[[Mapping[str, Any], dict[str, Any]], AriEvent]] = {
    "StasisStart": _stasis_start,
    "StasisEnd": _channel_event(StasisEnd),
    "ChannelStateChange": _channel_event(ChannelStateChange),
    "ChannelDestroyed": _channel_destroyed,
    "ChannelHangupRequest": _hangup_request,
    "ChannelDtmfReceived": _dtmf,
    "ChannelVarset": _varset,
    "ChannelEnteredBridge": _bridge_membership(ChannelEnteredBridge),
    "ChannelLeftBridge": _bridge_membership(ChannelLeftBridge),
    "BridgeDestroyed": _bridge_destroyed,
    "Dial": _dial,
    "PlaybackStarted": _playback_event(PlaybackStarted),
    "PlaybackContinuing": _playback_event(PlaybackContinuing),
    "PlaybackFinished": _playback_event(PlaybackFinished),
    "RecordingStarted": _recording_event(RecordingStarted),
    "RecordingFinished": _recording_event(RecordingFinished),
    "EndpointStateChange": _endpoint_state,
    "ApplicationReplaced": _plain(ApplicationReplaced),
}


def type_names(classes: Iterable[type[AriEvent]]) -> tuple[str, ...]:
    """The ARI type names of modelled event classes (each is named as its ARI type), for an
    event filter; a class the decoder does not produce (a base class, say) is refused."""
    names = tuple(cls.__name__ for cls in classes)
    unknown = [name for name in names if name not in _PARSERS]
    if unknown:
        raise ValueError(f"not event types the decoder produces: {', '.join(unknown)}")
    return names


def parse_event(raw: Mapping[str, Any]) -> AriEvent:
    """Turn one WebSocket message (already JSON-decoded) into a typed event.  Never raises."""
    base: dict[str, Any] = {
        "type": str(raw.get("type", "")),
        "application": str(raw.get("application", "")),
        "timestamp": str(raw.get("timestamp", "")),
        "raw": raw,
    }
    parser = _PARSERS.get(base["type"])
    if parser is None:
        return UnknownEvent(**base)
    try:
        return parser(raw, base)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return MalformedEvent(**base, error=f"{type(exc).__name__}: {exc}")
