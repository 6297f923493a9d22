"""The engine core's view of its configuration and of the live agents and contacts.

Plain data: built once from the validated settings (:func:`EngineConfig.from_settings`) and
mutated only by ``acd.engine.core``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from acd.contact import Activity, ContactRecord, Presence

if TYPE_CHECKING:
    from acd.settings import Settings


@dataclass(frozen=True, slots=True)
class LineConfig:
    id: str
    name: str
    numbers: tuple[str, ...]
    line_codes: tuple[str, ...]
    default_line_code: str
    welcome: tuple[str, ...] = ()
    language: str | None = None
    moh_class: str = "default"


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str
    name: str
    endpoint: str
    line_codes: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    lines: tuple[LineConfig, ...]
    agents: tuple[AgentConfig, ...]
    ring_timeout_s: int = 15
    wrap_up_s: float = 10.0
    missed_reason: str = "missed"
    presence_reasons: frozenset[str] = frozenset({"training", "lunch", "break", "missed"})
    caller_id: str = "ACD"
    unknown_line_prompt: tuple[str, ...] = ("sound:ss-noservice",)
    # Guards for events that a real Asterisk may never deliver (lost during a WebSocket outage):
    # how long a prompt may take before we move on, and how long past the ring timeout we wait
    # for the agent leg's ChannelDestroyed before hanging it up ourselves.
    prompt_guard_s: float = 120.0
    ring_guard_slack_s: float = 5.0

    def line_for(self, args: tuple[str, ...], exten: str) -> LineConfig | None:
        """The line a call is for: ``Stasis(acd,inbound,<line id or number>)``, else the
        dialled extension."""
        wanted = [args[1]] if len(args) > 1 and args[0] == "inbound" else []
        wanted.append(exten)
        for key in wanted:
            for line in self.lines:
                if key == line.id or key in line.numbers:
                    return line
        return None

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        eng = settings.engine
        return cls(
            lines=tuple(
                LineConfig(
                    id=ln.id,
                    name=ln.name,
                    numbers=tuple(ln.numbers),
                    line_codes=tuple(ln.line_codes),
                    default_line_code=ln.default_line_code,
                    welcome=tuple(ln.welcome_prompt),
                    language=ln.language,
                    moh_class=ln.moh_class,
                )
                for ln in settings.lines
            ),
            agents=tuple(
                AgentConfig(
                    id=a.id, name=a.name, endpoint=a.endpoint, line_codes=dict(a.line_codes)
                )
                for a in settings.agents
            ),
            ring_timeout_s=max(1, round(eng.ring_timeout_s)),
            wrap_up_s=eng.wrap_up_s,
            missed_reason=eng.missed_reason,
            presence_reasons=frozenset(eng.presence_reasons),
            caller_id=eng.caller_id,
            unknown_line_prompt=(eng.unknown_line_prompt,),
        )


@dataclass(slots=True)
class AgentState:
    config: AgentConfig
    presence: Presence = Presence.LOGGED_OUT
    reason: str | None = None
    activity: Activity = Activity.IDLE
    idle_since: datetime | None = None
    contact_id: str | None = None

    @property
    def id(self) -> str:
        return self.config.id

    def can_take(self, line_code: str) -> bool:
        return (
            self.presence is Presence.AVAILABLE
            and self.activity is Activity.IDLE
            and line_code in self.config.line_codes
        )


class Phase(StrEnum):
    """Where a contact is in its flow."""

    UNKNOWN_LINE = "unknown_line"  # answered, hearing the polite refusal, then hung up
    WELCOME = "welcome"  # answered, hearing the line's welcome prompt
    QUEUED = "queued"  # waiting with music on hold, no agent rung
    RINGING = "ringing"  # an agent leg is ringing; the caller keeps hearing music
    CONNECTED = "connected"  # caller and agent bridged
    ENDED = "ended"


@dataclass(slots=True)
class ContactState:
    record: ContactRecord
    line: LineConfig | None
    seq: int  # arrival order: first come, first served among equals
    phase: Phase = Phase.WELCOME
    playback_id: str | None = None
    agent_id: str | None = None
    agent_channel: str | None = None
    bridge_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def caller_channel(self) -> str:
        return self.record.channel_id
