"""Fakes that implement the same Protocols as the real things (STYLE.md: fakes over mocks)."""

from __future__ import annotations

from typing import Any

from acd.ari.events import Channel
from foundation.errors import AriError


class FakeAri:
    """Implements the runtime's AriPort.  ``fail[method]`` makes that method raise;
    ``list_channels`` answers ``channels`` (what ARI would list; set it to stage a resync)."""

    def __init__(
        self, fail: dict[str, AriError] | None = None, channels: list[Channel] | None = None
    ) -> None:
        self.fail = fail or {}
        self.channels: list[Channel] = list(channels or [])
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str):
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            if name in self.fail:
                raise self.fail[name]
            return list(self.channels) if name == "list_channels" else None

        return call

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]
