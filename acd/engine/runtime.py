"""The shell around the engine core: ARI events in, commands out.

It translates typed ARI events into core inputs, runs the core, and executes the commands the
core returns: ARI requests (ordered per channel and bridge, concurrent across calls), timers on
the one loop clock, and contact/agent events to the sinks.  ARI errors come back to the core as
inputs (a 404 on a caller channel means the caller is gone; a refused originate means the agent
cannot be dialled).  After a WebSocket reconnect it resynchronises from ARI's own view, because
real Asterisk replays nothing that happened during the outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from acd.ari import events as ev
from acd.ari.events import Bridge, Channel
from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.core import EngineCore
from acd.engine.timers import TimerKey
from acd.engine.view import EngineView
from foundation.clock import Clock
from foundation.contact import (
    AgentRecord,
    ContactEvent,
    ContactEventSink,
    ContactRecord,
)
from foundation.errors import AriBadRequest, AriError, AriNotFound, AriServerError, AriUnavailable

log = logging.getLogger(__name__)

# Waits before each new try of a refused answer (5xx, no connection): 3.7 s in all, well
# inside the time a caller lets a line ring.
ANSWER_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)

# The event types the engine reads, the only ones it asks Asterisk for: those
# EngineRuntime._translate below dispatches, and ApplicationReplaced, which EventStream acts on.  A
# type handled there but missing here would never arrive: tests/ari/test_event_filter.py
# reads the runtime's dispatch and fails on such a gap.
ENGINE_EVENTS: tuple[type[ev.AriEvent], ...] = (
    ev.StasisStart,
    ev.StasisEnd,
    ev.ChannelDestroyed,
    ev.Dial,
    ev.PlaybackFinished,
    ev.ChannelDtmfReceived,
    ev.ApplicationReplaced,
)


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
    async def list_channels(self) -> list[Channel]: ...
    async def list_bridges(self) -> list[Bridge]: ...
    async def get_application(self, app: str) -> dict[str, Any]: ...


class RecordSource(Protocol):
    """The part of ``acd.records.ContactStore`` the runtime uses: what a restart takes up."""

    async def unfinished(self) -> Sequence[ContactRecord]: ...


class CallbackPort(Protocol):
    """The part of ``callbacks.store.CallbackStore`` the runtime uses."""

    async def request(
        self,
        number: str,
        line: str,
        line_code: str,
        contact_id: str | None,
        requested_at: datetime,
        due_by: datetime,
        idempotency_key: str,
    ) -> tuple[Any, bool]: ...


STORE_TRIES = 3  # a callback store that fails this often in a row sends the caller back


class EngineRuntime:
    def __init__(
        self,
        core: EngineCore,
        ari: AriPort,
        clock: Clock,
        sinks: Sequence[ContactEventSink],
        app: str,
        callbacks: CallbackPort | None = None,
        records: RecordSource | None = None,
    ) -> None:
        self._callbacks = callbacks
        self._records = records
        # Set once the first resynchronisation is done: until then an idle agent may be still
        # talking in a bridge a crash left, and nothing must be offered to them.
        self.resynced = asyncio.Event()
        # Set by the callback dialer: records how a callback attempt ended.
        self.on_finish_callback: Callable[[cmd.FinishCallback], Coroutine[Any, Any, None]] | None
        self.on_finish_callback = None
        self.on_place_callback: Callable[[cmd.PlaceCallbackNow], Coroutine[Any, Any, None]] | None
        self.on_place_callback = None
        # Told when a supervisor's monitoring session starts or ends (the audit, live pages).
        self.monitor_listeners: list[Callable[[cmd.MonitorEvent], None]] = []
        self.core = core
        self._ari = ari
        self._clock = clock
        self._sinks = list(sinks)
        self._app = app
        self._timers: dict[TimerKey, asyncio.TimerHandle] = {}
        self._tails: dict[str, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.events_handled = 0

    @property
    def view(self) -> EngineView:
        """The core, read-only (for the API, the dialer, snapshots)."""
        return self.core

    def add_sink(self, sink: ContactEventSink) -> None:
        """One more consumer of the engine's contact and agent events (the live pages)."""
        self._sinks.append(sink)

    def start(self) -> None:
        self._apply(self.core.initial_events(self._clock.now()))

    def restore_agents(self, records: Iterable[AgentRecord]) -> None:
        """Agents back as a previous engine stored them: call before :meth:`start`."""
        self._apply(self.core.restore_agents(records, self._clock.now()))

    # ------------------------------------------------------------------ inputs

    def submit(self, event: inp.Input) -> None:
        """Apply one input now.  Raises the core's refusal errors for API requests."""
        self._apply(self.core.handle(event, self._clock.now()))

    def on_event(self, event: ev.AriEvent) -> None:
        """Callback for the events WebSocket: translate and apply, in arrival order."""
        self.events_handled += 1
        translated = self._translate(event)
        if translated is not None:
            self.submit(translated)

    def _translate(self, event: ev.AriEvent) -> inp.Input | None:
        match event:
            case ev.StasisStart(channel=ch, args=args):
                return _entered(ch, args)
            case ev.StasisEnd(channel=ch):
                return inp.ChannelGone(ch.id)
            case ev.ChannelDestroyed(channel=ch, cause=cause):
                return inp.ChannelGone(ch.id, cause)
            case ev.Dial(peer=peer, dialstatus="RINGING"):
                return inp.AgentLegRinging(peer.id)
            case ev.Dial(peer=peer, dialstatus="BUSY"):
                # A busy Local/... leg says so only here: its ;1 half is then destroyed with
                # cause 0 "Unknown" (originate_failures.jsonl), which would read as unreachable.
                # A busy PJSIP leg sends this between ChannelHangupRequest 17 and
                # ChannelDestroyed 17, so ending the offer here changes nothing for it.
                return inp.ChannelGone(peer.id, 17)
            case ev.PlaybackFinished(playback=pb):
                return inp.PlaybackDone(pb.id)
            case ev.ChannelDtmfReceived(channel=ch, digit=digit):
                return inp.DtmfReceived(ch.id, digit)
            case ev.ApplicationReplaced():
                log.error("another client took over the ARI app %r", self._app)
            case ev.MalformedEvent(type=kind, error=error):
                log.warning("ignoring malformed %s event: %s", kind, error)
        return None

    async def on_connected(self, first: bool) -> None:
        """Resynchronise after (re)connecting: lost events are replayed from ARI's state and,
        after a restart, the calls an earlier run left in the app are taken up
        (:mod:`acd.engine.recovery`).  Events of the new connection wait until this is done."""
        try:
            channels = await self._ari.list_channels()
            bridges = await self._ari.list_bridges()
            app = await self._ari.get_application(self._app)
        except AriError as exc:
            log.error("cannot resynchronise with ARI: %s", exc)
            return
        records: tuple[ContactRecord, ...] = ()
        if first and self._records is not None:
            try:
                records = tuple(await self._records.unfinished())
            except Exception:
                # Calls still in the app are then taken up as new arrivals: served, not lost.
                log.exception("cannot read the contacts an earlier run left unfinished")
        if not first:
            log.info("events reconnected: resynchronising against %d channels", len(channels))
        app_bridges = frozenset(str(b) for b in app.get("bridge_ids", ()))
        self.submit(
            inp.AriState(
                channels=tuple(self._live_channel(c) for c in channels),
                bridges=tuple(
                    inp.LiveBridge(
                        b.id,
                        frozenset(b.channels),
                        b.id in app_bridges or legs.bridge_contact(b.id) is not None,
                        b.created_at,
                    )
                    for b in bridges
                ),
                records=records,
            )
        )
        self.resynced.set()

    def _live_channel(self, channel: Channel) -> inp.LiveChannel:
        in_app = channel.app_name == "Stasis" and channel.app_data.split(",")[0] == self._app
        return inp.LiveChannel(
            id=channel.id,
            name=channel.name,
            up=channel.state == "Up",
            role=legs.decode(tuple(channel.stasis_args())) if in_app else None,
            # An outgoing leg not answered yet: Asterisk shows it in ``AppDial2``, outside any
            # Stasis application, until the far end answers (``callback_agent_first.jsonl``).
            dialling=channel.app_name == "AppDial2" and legs.is_originated_leg(channel.id),
            exten=channel.exten,
            caller_number=channel.caller_number,
            caller_name=channel.caller_name,
            created_at=channel.created_at,
        )

    # ------------------------------------------------------------------ commands

    def _apply(self, commands: list[cmd.Command]) -> None:
        ari_commands: list[cmd.AriCommand] = []
        for c in commands:
            if isinstance(c, cmd.Emit | cmd.NotifyMonitor):
                self._emit(c)
            elif isinstance(c, cmd.StartTimer):
                self._start_timer(c.key, c.delay_s)
            elif isinstance(c, cmd.CancelTimer):
                handle = self._timers.pop(c.key, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(c, cmd.StoreCallback):
                self._spawn(self._store_callback(c))
            elif isinstance(c, cmd.PlaceCallbackNow):
                if self.on_place_callback is not None:
                    self._spawn(self.on_place_callback(c))
            elif isinstance(c, cmd.FinishCallback):
                if self.on_finish_callback is None:
                    log.error("no dialer to record callback %s's attempt", c.callback_id)
                else:
                    self._spawn(self.on_finish_callback(c))
            else:
                ari_commands.append(c)
        for batch in independent_batches(ari_commands):
            self._run(batch)

    def _emit(self, c: cmd.Emit | cmd.NotifyMonitor) -> None:
        if isinstance(c, cmd.NotifyMonitor):
            for listener in self.monitor_listeners:
                try:
                    listener(c.event)
                except Exception:
                    log.exception("monitor listener %r failed on %s", listener, c.event)
            return
        event = c.event
        for sink in self._sinks:
            try:
                if isinstance(event, ContactEvent):
                    sink.contact_event(event)
                else:
                    sink.agent_event(event)
            except Exception:
                log.exception("event sink %r failed on %s", sink, event)

    def _start_timer(self, key: TimerKey, delay_s: float) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self.submit(inp.TimerFired(key))

        self._timers[key] = self._clock.loop.call_later(delay_s, fire)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store_callback(self, c: cmd.StoreCallback) -> None:
        """Store durably, retrying with the same idempotency key: a retry after a timeout
        cannot create a second callback."""
        if self._callbacks is None:
            self.submit(inp.CallbackStoreFailed(c.contact_id, "no callback store configured"))
            return
        error = ""
        for attempt in range(STORE_TRIES):
            try:
                callback, merged = await self._callbacks.request(
                    c.number,
                    c.line,
                    c.line_code,
                    c.contact_id,
                    c.requested_at,
                    c.due_by,
                    idempotency_key=f"offer-{c.contact_id}",
                )
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "storing the callback of %s failed (try %d): %s",
                    c.contact_id,
                    attempt + 1,
                    error,
                )
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            self.submit(inp.CallbackStored(c.contact_id, str(callback.id), merged))
            return
        self.submit(inp.CallbackStoreFailed(c.contact_id, error))

    def _run(self, batch: list[cmd.AriCommand]) -> None:
        """Run a batch in order, after earlier batches that touch the same channels/bridges."""
        keys = {k for c in batch for k in _resources(c)}
        before = [self._tails[k] for k in keys if k in self._tails]
        task = asyncio.get_running_loop().create_task(self._execute(batch, before))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        for k in keys:
            self._tails[k] = task
        task.add_done_callback(lambda t: self._drop_tails(keys, t))

    def _drop_tails(self, keys: Iterable[str], task: asyncio.Future[None]) -> None:
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
        not left alone in a bridge nor the call counted as talking."""
        try:
            live = {ch.id for ch in await self._ari.list_channels()}
        except AriError as exc:
            log.warning("cannot list channels to see who left (%s)", exc)
            return
        for channel_id in channel_ids:
            if channel_id not in live:
                self.submit(inp.ChannelMissing(channel_id))

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
        raise TypeError(f"not an ARI command: {c!r}")

    def _not_found(self, c: cmd.AriCommand, exc: AriNotFound) -> None:
        if isinstance(c, cmd.Hangup | cmd.DestroyBridge | cmd.StopPlayback):
            return  # already gone: exactly what we wanted
        if isinstance(c, cmd.Originate):
            self.submit(inp.OriginateFailed(c.channel_id, str(exc)))
            return
        channel = getattr(c, "channel_id", None)
        log.info("%s: channel gone (%s)", type(c).__name__, exc)
        if isinstance(channel, str):
            self.submit(inp.ChannelMissing(channel))

    def _refused(self, c: cmd.AriCommand, exc: AriError) -> None:
        log.warning("%s refused by ARI: %s", type(c).__name__, exc)
        if isinstance(c, cmd.Originate) and c.originator and _originator_missing(exc):
            # The caller hung up while their agent was being dialled (Asterisk checks the
            # originator first): the caller is gone, the agent did nothing wrong.
            self.submit(inp.ChannelMissing(c.originator))
        elif isinstance(c, cmd.Originate):
            self.submit(inp.OriginateFailed(c.channel_id, str(exc)))
        elif isinstance(c, cmd.Answer):
            # Still refused after the retries, or refused outright (the channel left Stasis):
            # the caller cannot be served.  Hung up rather than left ringing, and ended.
            log.error("cannot answer %s (%s); hanging it up", c.channel_id, exc)
            self._run([cmd.Hangup(c.channel_id)])
            self.submit(inp.ChannelMissing(c.channel_id))
        elif isinstance(c, cmd.AddToBridge):
            self._spawn(self._which_gone(c.channel_ids))
        elif isinstance(c, cmd.Play):
            # A prompt that cannot play must not hold the caller in silence until the guard.
            self.submit(inp.PlaybackDone(c.playback_id))

    async def drain(self) -> None:
        """Wait until every ARI command issued so far has been carried out (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        await self.drain()


def _entered(ch: Channel, args: tuple[str, ...]) -> inp.Input:
    """A channel entered the app: its args say what it is (knowing the channel is not enough:
    a caller's repeated StasisStart would pass for an agent leg answering)."""
    match legs.decode(args):
        case legs.AgentLeg():
            return inp.AgentLegAnswered(ch.id)
        case legs.CitizenLeg():
            return inp.CitizenAnswered(ch.id)
        case legs.EscalationLeg():
            return inp.EscalationAnswered(ch.id)
        case legs.SupervisorLeg() | legs.SnoopLeg():
            return inp.MonitorLegEntered(ch.id)
        case legs.InboundCall():
            return inp.CallArrived(ch.id, args, ch.exten, ch.caller_number, ch.caller_name)


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
        case cmd.CreateBridge(bridge_id=br) | cmd.DestroyBridge(bridge_id=br):
            return [br]
        case cmd.Originate(channel_id=ch, originator=orig):
            return [ch] if orig is None else [ch, orig]
        case cmd.Snoop(channel_id=ch, snoop_id=snoop):
            return [ch, snoop]
    return [c.channel_id]
