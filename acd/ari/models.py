"""ARI resources returned by REST calls that no event carries: endpoints and recordings.

Channels, bridges and playbacks are shared with the events and live in :mod:`acd.ari.events`;
they are re-exported here so REST callers import every resource type from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acd.ari.events import Bridge, Channel, Playback

__all__ = ["Bridge", "Channel", "Endpoint", "LiveRecording", "Playback", "StoredRecording"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    technology: str
    resource: str
    state: str
    channel_ids: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``PJSIP/agent1``: the form used in dial strings and ``endpoint:`` event sources."""
        return f"{self.technology}/{self.resource}"

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Endpoint:
        return cls(
            technology=str(raw["technology"]),
            resource=str(raw["resource"]),
            state=str(raw.get("state", "")),
            channel_ids=tuple(str(c) for c in raw.get("channel_ids", ())),
        )


@dataclass(frozen=True, slots=True)
class LiveRecording:
    name: str
    format: str
    state: str
    target_uri: str = ""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> LiveRecording:
        return cls(
            name=str(raw["name"]),
            format=str(raw.get("format", "")),
            state=str(raw.get("state", "")),
            target_uri=str(raw.get("target_uri", "")),
        )


@dataclass(frozen=True, slots=True)
class StoredRecording:
    name: str
    format: str

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> StoredRecording:
        return cls(name=str(raw["name"]), format=str(raw.get("format", "")))
