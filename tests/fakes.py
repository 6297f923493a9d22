"""Fakes that implement the same Protocols as the real things (STYLE.md: fakes over mocks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from acd.ari.events import Bridge, Channel
from acd.engine.ari_commands import AriPort
from foundation.errors import AriError, AriNotFound

#: The methods of the runtime's ARI port, the only ones the fake answers.
PORT_METHODS = frozenset(
    name for name in vars(AriPort) if not name.startswith("_") and callable(getattr(AriPort, name))
)


@dataclass
class AriCall:
    """One call the engine made: the method and its real arguments, laid out one way whatever
    way the caller passed them: positional-or-keyword parameters in ``args`` (defaults
    included), keyword-only ones in ``kwargs``."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


class FakeAriClient:
    """The runtime's ARI port (``acd.engine.ari_commands.AriPort``), method by method.

    Each call is recorded in ``calls`` (unless ``record`` is off, for benchmarks), then
    ``fail[method]`` makes that method raise (a 404, a 500 ... from ``foundation.errors``);
    ``list_channels`` answers ``channels`` (what ARI would list; set it to stage a resync).
    A method the port lacks is an AttributeError, as on any object.  Subclasses hook
    :meth:`_respond` to answer calls their own way.
    """

    def __init__(
        self,
        fail: dict[str, AriError] | None = None,
        channels: list[Channel] | None = None,
        *,
        record: bool = True,
    ) -> None:
        unknown = sorted(set(fail or {}) - PORT_METHODS)
        if unknown:
            raise ValueError(f"not methods of the ARI port: {unknown}")
        self.fail = dict(fail or {})
        self.channels: list[Channel] = list(channels or [])
        self.bridges: list[Bridge] = []
        self.calls: list[AriCall] = []
        self._record = record

    def called(self, name: str) -> list[tuple[Any, ...]]:
        """The positional arguments of each call to ``name``, in order."""
        if name not in PORT_METHODS:
            raise ValueError(f"not a method of the ARI port: {name}")
        return [c.args for c in self.calls if c.name == name]

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> None:
        call = AriCall(name, args, kwargs)
        if self._record:
            self.calls.append(call)
        if name in self.fail:
            raise self.fail[name]
        await self._respond(call)

    async def _respond(self, call: AriCall) -> None:
        """What happens after a call is recorded and has not failed: nothing, here."""

    # ------------------------------------------------------------------ AriPort

    async def answer(self, channel_id: str) -> None:
        await self._call("answer", channel_id)

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        await self._call("hangup", channel_id, reason)

    async def play(
        self, channel_id: str, media: list[str], playback_id: str, lang: str | None = None
    ) -> None:
        await self._call("play", channel_id, media, playback_id, lang)

    async def stop_playback(self, playback_id: str) -> None:
        await self._call("stop_playback", playback_id)

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        await self._call("start_moh", channel_id, moh_class)

    async def stop_moh(self, channel_id: str) -> None:
        await self._call("stop_moh", channel_id)

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str,
        app: str,
        app_args: list[str],
        caller_id: str | None = None,
        timeout_s: int | None = None,
        originator: str | None = None,
    ) -> None:
        await self._call(
            "originate",
            endpoint,
            channel_id=channel_id,
            app=app,
            app_args=app_args,
            caller_id=caller_id,
            timeout_s=timeout_s,
            originator=originator,
        )

    async def create_bridge(self, bridge_id: str, bridge_type: str = "mixing") -> None:
        await self._call("create_bridge", bridge_id, bridge_type)

    async def add_channel(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self._call("add_channel", bridge_id, channel_ids)

    async def remove_channel(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self._call("remove_channel", bridge_id, channel_ids)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._call("destroy_bridge", bridge_id)

    async def snoop(
        self,
        channel_id: str,
        *,
        snoop_id: str | None = None,
        spy: str = "both",
        whisper: str = "none",
        app: str | None = None,
        app_args: Sequence[str] = (),
    ) -> None:
        await self._call(
            "snoop",
            channel_id,
            snoop_id=snoop_id,
            spy=spy,
            whisper=whisper,
            app=app,
            app_args=list(app_args),
        )

    async def record_bridge(
        self, bridge_id: str, name: str, format: str = "wav", *, if_exists: str | None = None
    ) -> None:
        await self._call("record_bridge", bridge_id, name, format, if_exists=if_exists)

    async def list_channels(self) -> list[Channel]:
        await self._call("list_channels")
        return list(self.channels)

    async def get_channel(self, channel_id: str) -> Channel:
        await self._call("get_channel", channel_id)
        for channel in self.channels:
            if channel.id == channel_id:
                return channel
        raise AriNotFound(404, "Channel not found")

    async def list_bridges(self) -> list[Bridge]:
        await self._call("list_bridges")
        return list(self.bridges)

    async def get_application(self, app: str) -> dict[str, Any]:
        await self._call("get_application", app)
        return {"name": app, "channel_ids": [], "bridge_ids": [b.id for b in self.bridges]}


# mypy checks here that the fake is an AriPort: a method added to the port and not to the fake,
# or one whose signature drifts, is a type error.
_: AriPort = FakeAriClient()
