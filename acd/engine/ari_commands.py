"""Carrying out the core's ARI commands: in order per channel, bridge and playback, at once
across unrelated ones; answers and bridgings retried when a second try may pass; refusals
and 404s told back to the core as inputs (a caller gone, an agent who cannot be dialled, the
channels an ``addChannel`` found gone), and an accepted ``addChannel`` as ``LegsBridged``."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Protocol

from acd.ari.events import Bridge, Channel
from acd.engine import commands as cmd
from acd.engine import inputs as inp
from foundation.errors import AriBadRequest, AriError, AriNotFound, AriServerError, AriUnavailable

log = logging.getLogger(__name__)

# Waits before each new try of a refused answer (5xx, no connection): 3.7 s in all, well
# inside the time a caller lets a line ring.
ANSWER_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)


class AriPort(Protocol):
    """The part of ``acd.ari.client.AriClient`` the runtime uses (a fake may stand in)."""

    async def answer(self, channel_id: str) -> None: ...
    async def hangup(self, channel_id: str, reason: str | None = None) -> None: ...
    async def play(
        self, channel_id: str, media: list[str], playback_id: str, lang: str | None = None
    ) -> Any: ...
    async def stop_playback(self, playback_id: str) -> None: ...
    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None: ...
    async def stop_moh(self, channel_id: str) -> None: ...
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
    ) -> Any: ...
    async def create_bridge(self, bridge_id: str, bridge_type: str = "mixing") -> Any: ...
    async def add_channel(self, bridge_id: str, channel_ids: list[str]) -> None: ...
    async def remove_channel(self, bridge_id: str, channel_ids: list[str]) -> None: ...
    async def destroy_bridge(self, bridge_id: str) -> None: ...
    async def snoop(
        self,
        channel_id: str,
        *,
        snoop_id: str | None = None,
        spy: str = "both",
        whisper: str = "none",
        app: str | None = None,
        app_args: Sequence[str] = (),
    ) -> Any: ...
    async def record_bridge(
        self, bridge_id: str, name: str, format: str = "wav", *, if_exists: str | None = None
    ) -> Any: ...
    async def list_channels(self) -> list[Channel]: ...
    async def get_channel(self, channel_id: str) -> Channel: ...
    async def list_bridges(self) -> list[Bridge]: ...
    async def get_application(self, app: str) -> dict[str, Any]: ...


class AriCommands:
    """Runs ARI command batches as tasks on the running loop; ``submit`` takes what comes
    back for the core (it runs the core at once, as the runtime's own inputs do)."""

    def __init__(self, ari: AriPort, app: str, submit: Callable[[inp.Input], None]) -> None:
        self._ari = ari
        self._app = app
        self._submit = submit
        self._tails: dict[str, asyncio.Future[None]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the batches run on, asked for once, as :class:`foundation.clock.Clock`
        does: ``asyncio.get_running_loop()`` makes a ``getpid()`` system call each time."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def run_all(self, commands: list[cmd.AriCommand]) -> None:
        """One input's ARI commands: unrelated ones at once, related ones in order."""
        for batch in independent_batches(commands):
            self._run(batch)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _run(self, batch: list[cmd.AriCommand]) -> None:
        """Run a batch in order, after earlier batches that touch the same channels/bridges."""
        keys = {k for c in batch for k in _resources(c)}
        before = [self._tails[k] for k in keys if k in self._tails]
        task = self.loop.create_task(self._execute(batch, before))
        self.tasks.add(task)
        for k in keys:
            self._tails[k] = task
        # One done callback, not two: each is a handle of its own on the loop (issue 10).
        task.add_done_callback(functools.partial(self._finished, keys))

    def _finished(self, keys: Iterable[str], task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        for k in keys:
            if self._tails.get(k) is task:
                del self._tails[k]

    async def _execute(
        self, batch: list[cmd.AriCommand], before: list[asyncio.Future[None]]
    ) -> None:
        if before:
            await asyncio.gather(*before, return_exceptions=True)
        for command in batch:
            try:
                if isinstance(command, cmd.Answer | cmd.AddToBridge):
                    await self._retrying(command)
                    if isinstance(command, cmd.AddToBridge):
                        self._submit(inp.LegsBridged(command.bridge_id, command.channel_ids))
                else:
                    await self._call(command)
            except AriNotFound as exc:
                self._not_found(command, exc)
                if isinstance(command, cmd.Answer):
                    return  # the rest of the batch is for a caller who is gone
            except AriError as exc:
                self._refused(command, exc)
                if isinstance(command, cmd.Answer):
                    return
            except Exception:
                log.exception("executing %s failed", command)

    async def _retrying(self, command: cmd.Answer | cmd.AddToBridge) -> None:
        """Answer a caller or bridge it, retrying what may pass on a second try (a 5xx, a
        refused or lost connection): a caller whose answer is dropped would ring unanswered
        until they give up; an agent and caller whose bridging is dropped would each sit alone.
        The retries hold up the rest of the batch (prompts, music)."""
        for delay_s in (*ANSWER_RETRY_DELAYS_S, None):
            try:
                await self._call(command)
                return
            except (AriServerError, AriUnavailable) as exc:
                if delay_s is None:
                    raise
                log.warning("%s failed (%s); again in %g s", command, exc, delay_s)
                await asyncio.sleep(delay_s)

    async def _which_gone(self, channel_ids: tuple[str, ...]) -> None:
        """An ``addChannel`` refused (400 "Channel not found", 422 "not in Stasis") names no
        channel: ask Asterisk which of them is gone, and tell the core, so the other party is
        not left alone in a bridge nor the call counted as talking.  One ``GET
        /channels/{id}`` each, not the whole list: under load, when such refusals come
        often, listing every live channel each time would cost more the busier Asterisk is."""
        answers = await asyncio.gather(
            *(self._ari.get_channel(channel_id) for channel_id in channel_ids),
            return_exceptions=True,
        )
        for channel_id, answer in zip(channel_ids, answers, strict=True):
            if isinstance(answer, AriNotFound):
                self._submit(inp.ChannelMissing(channel_id))
            elif isinstance(answer, BaseException):
                log.warning("cannot ask whether channel %s left (%r)", channel_id, answer)

    def _call(self, c: cmd.AriCommand) -> Coroutine[Any, Any, Any]:
        ari = self._ari
        if isinstance(c, cmd.Snoop):
            return ari.snoop(
                c.channel_id,
                snoop_id=c.snoop_id,
                spy=c.spy,
                whisper=c.whisper,
                app=self._app,
                app_args=c.app_args,
            )
        match c:
            case cmd.Answer(channel_id=ch):
                return ari.answer(ch)
            case cmd.Play(channel_id=ch, media=media, playback_id=pb, lang=lang):
                return ari.play(ch, list(media), pb, lang)
            case cmd.StopPlayback(playback_id=pb):
                return ari.stop_playback(pb)
            case cmd.StartMoh(channel_id=ch, moh_class=moh):
                return ari.start_moh(ch, moh)
            case cmd.StopMoh(channel_id=ch):
                return ari.stop_moh(ch)
            case cmd.Originate():
                return ari.originate(
                    c.endpoint,
                    channel_id=c.channel_id,
                    app=self._app,
                    app_args=list(c.app_args),
                    caller_id=c.caller_id,
                    timeout_s=c.timeout_s,
                    originator=c.originator,
                )
            case cmd.Hangup(channel_id=ch, reason=reason):
                return ari.hangup(ch, reason)
        return self._bridge_call(c)

    def _bridge_call(self, c: cmd.AriCommand) -> Coroutine[Any, Any, Any]:
        ari = self._ari
        match c:
            case cmd.CreateBridge(bridge_id=br, bridge_type=kind):
                return ari.create_bridge(br, kind)
            case cmd.AddToBridge(bridge_id=br, channel_ids=chans):
                return ari.add_channel(br, list(chans))
            case cmd.RemoveFromBridge(bridge_id=br, channel_ids=chans):
                return ari.remove_channel(br, list(chans))
            case cmd.DestroyBridge(bridge_id=br):
                return ari.destroy_bridge(br)
            case cmd.RecordBridge(bridge_id=br, name=name, format=fmt):
                # A name taken already (a restart recording the same contact again) is kept
                # going rather than refused: one file per contact.
                return ari.record_bridge(br, name, fmt, if_exists="append")
        raise TypeError(f"not an ARI command: {c!r}")

    def _not_found(self, c: cmd.AriCommand, exc: AriNotFound) -> None:
        if isinstance(c, cmd.Hangup | cmd.DestroyBridge | cmd.StopPlayback):
            return  # already gone: exactly what we wanted
        if isinstance(c, cmd.RecordBridge):
            self._submit(inp.RecordingRefused(c.name, str(exc)))  # the bridge went first
            return
        if isinstance(c, cmd.Originate):
            self._submit(inp.OriginateFailed(c.channel_id, str(exc)))
            return
        if isinstance(c, cmd.AddToBridge):
            # 404 names the bridge ("Bridge not found"; a gone channel is a 400): the core
            # bridges the call in another, and a channel gone as well is found out after.
            log.warning("%s: bridge %s gone (%s)", type(c).__name__, c.bridge_id, exc)
            self._submit(inp.BridgeMissing(c.bridge_id))
            self._spawn(self._which_gone(c.channel_ids))
            return
        channel = getattr(c, "channel_id", None)
        log.info("%s: channel gone (%s)", type(c).__name__, exc)
        if isinstance(channel, str):
            self._submit(inp.ChannelMissing(channel))

    def _refused(self, c: cmd.AriCommand, exc: AriError) -> None:
        log.warning("%s refused by ARI: %s", type(c).__name__, exc)
        if isinstance(c, cmd.Originate) and c.originator and _originator_missing(exc):
            # The caller hung up while their agent was being dialled (Asterisk checks the
            # originator first): the caller is gone, the agent did nothing wrong.
            self._submit(inp.ChannelMissing(c.originator))
        elif isinstance(c, cmd.Originate):
            self._submit(inp.OriginateFailed(c.channel_id, str(exc)))
        elif isinstance(c, cmd.Answer):
            # Still refused after the retries, or refused outright (the channel left Stasis):
            # the caller cannot be served.  Hung up rather than left ringing, and ended.
            log.error("cannot answer %s (%s); hanging it up", c.channel_id, exc)
            self._run([cmd.Hangup(c.channel_id)])
            self._submit(inp.ChannelMissing(c.channel_id))
        elif isinstance(c, cmd.AddToBridge):
            self._spawn(self._which_gone(c.channel_ids))
        elif isinstance(c, cmd.Play):
            # A prompt that cannot play must not hold the caller in silence until the guard.
            self._submit(inp.PlaybackDone(c.playback_id))
        elif isinstance(c, cmd.RecordBridge) and not isinstance(exc, AriUnavailable):
            # Asterisk answered: no file (a real Asterisk without its spool's recording
            # folder answers 500).  Unreachable, it may have started one: the row stays.
            self._submit(inp.RecordingRefused(c.name, str(exc)))


def independent_batches(commands: list[cmd.AriCommand]) -> list[list[cmd.AriCommand]]:
    """Split one input's ARI commands into batches that share no channel, bridge or playback,
    each in its original order.  The batches run at once: an agent's phone is dialled while
    the caller's bridge is made, not after its answer comes back."""
    if len(commands) < 2:
        return [commands] if commands else []
    parent = list(range(len(commands)))  # union-find over the commands' positions

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holder: dict[str, int] = {}  # resource -> a command that touches it
    for i, c in enumerate(commands):
        for k in _resources(c):
            j = holder.setdefault(k, i)
            parent[root(i)] = root(j)
    batches: dict[int, list[cmd.AriCommand]] = {}
    for i, c in enumerate(commands):
        batches.setdefault(root(i), []).append(c)
    return list(batches.values())


def _originator_missing(exc: AriError) -> bool:
    """Asterisk's 400 for an originate whose ``originator`` channel no longer exists
    ("Provided originator channel was not found")."""
    message = exc.message.lower()
    return isinstance(exc, AriBadRequest) and "originator" in message and "not found" in message


def _resources(c: cmd.AriCommand) -> list[str]:
    match c:
        case cmd.StopPlayback(playback_id=pb):
            return [pb]
        case cmd.Play(channel_id=ch, playback_id=pb):
            return [ch, pb]  # a stop must wait for the play request that created it
        case (
            cmd.AddToBridge(bridge_id=br, channel_ids=chans)
            | cmd.RemoveFromBridge(bridge_id=br, channel_ids=chans)
        ):
            return [br, *chans]
        case (
            cmd.CreateBridge(bridge_id=br)
            | cmd.DestroyBridge(bridge_id=br)
            | cmd.RecordBridge(bridge_id=br)
        ):
            return [br]
        case cmd.Originate(channel_id=ch, originator=orig):
            return [ch] if orig is None else [ch, orig]
        case cmd.Snoop(channel_id=ch, snoop_id=snoop):
            return [ch, snoop]
    return [c.channel_id]
