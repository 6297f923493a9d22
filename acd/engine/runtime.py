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
from typing import Any, Protocol, cast, get_args

from acd.ari import events as ev
from acd.ari.events import Channel
from acd.engine import commands as cmd
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.ari_commands import AriCommands, AriPort
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
from foundation.errors import AriError

log = logging.getLogger(__name__)
_ARI_COMMANDS = frozenset(get_args(cmd.AriCommand))  # the classes of that union

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
        # The survey's store and metrics: each answer handed on as it is keyed.  Must not block.
        self.survey_sinks: list[Callable[[cmd.SurveyStep], None]] = []
        self.recording_sinks: list[Callable[[cmd.RecordingStep], None]] = []
        self.core = core
        self._ari = ari
        self._clock = clock
        self._sinks = list(sinks)
        self._app = app
        self._timers: dict[TimerKey, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands = AriCommands(ari, app, self.submit)
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

    def pause_offers(self) -> None:
        """No offers until :meth:`resume_offers`: the shared state (Redis) is unreachable."""
        if not self.core.offers_paused:
            log.warning("offers paused: the shared state cannot be reached")
        self.core.pause_offers()

    async def resume_offers(self) -> None:
        if self.core.offers_paused:
            log.warning("offers resumed")
        self._apply(self.core.resume_offers(self._clock.now()))

    def restore_agents(self, records: Iterable[AgentRecord]) -> None:
        """Agents back as a previous engine stored them: call before :meth:`start`."""
        self._apply(self.core.restore_agents(records, self._clock.now()))

    def restore_agent_figures(self, records: Iterable[AgentRecord]) -> None:
        """Only the day's time figures of agents the shared pool brings back (presence and
        counters come from the pool): call before :meth:`start`."""
        self.core.restore_agent_figures(records, self._clock.now())

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
            if type(c) in _ARI_COMMANDS:
                # Most of a call's commands: one look-up rather than the whole chain below.
                ari_commands.append(cast(cmd.AriCommand, c))
            elif isinstance(c, cmd.Emit | cmd.NotifyMonitor):
                self._emit(c)
            elif isinstance(c, cmd.StartTimer):
                self._start_timer(c.key, c.delay_s)
            elif isinstance(c, cmd.CancelTimer):
                handle = self._timers.pop(c.key, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(c, cmd.SurveyStep):
                self._survey_step(c)
            elif isinstance(c, cmd.RecordingStep):
                for sink in self.recording_sinks:
                    sink(c)
            elif isinstance(c, cmd.StoreCallback | cmd.PlaceCallbackNow | cmd.FinishCallback):
                self._callback_command(c)
            else:
                ari_commands.append(c)
        if ari_commands:
            self._commands.run_all(ari_commands)

    def _callback_command(
        self, c: cmd.StoreCallback | cmd.PlaceCallbackNow | cmd.FinishCallback
    ) -> None:
        if isinstance(c, cmd.StoreCallback):
            self._spawn(self._store_callback(c))
        elif isinstance(c, cmd.PlaceCallbackNow):
            if self.on_place_callback is not None:
                self._spawn(self.on_place_callback(c))
        elif self.on_finish_callback is None:
            log.error("no dialer to record callback %s's attempt", c.callback_id)
        else:
            self._spawn(self.on_finish_callback(c))

    def _emit(self, c: cmd.Emit | cmd.NotifyMonitor) -> None:
        if isinstance(c, cmd.NotifyMonitor):
            for listener in self.monitor_listeners:
                try:
                    listener(c.event)
                except Exception:
                    log.exception("monitor listener %r failed on %s", listener, c.event)
            return
        event = c.event
        # The kind of event decided once, not once per sink (some ten events a call).
        if isinstance(event, ContactEvent):
            for sink in self._sinks:
                try:
                    sink.contact_event(event)
                except Exception:
                    log.exception("event sink %r failed on %s", sink, event)
        else:
            for sink in self._sinks:
                try:
                    sink.agent_event(event)
                except Exception:
                    log.exception("event sink %r failed on %s", sink, event)

    def _survey_step(self, step: cmd.SurveyStep) -> None:
        for sink in self.survey_sinks:
            try:
                sink(step)
            except Exception:
                log.exception("survey sink %r failed on %s", sink, step)

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

    async def drain(self) -> None:
        """Wait until every ARI command issued so far has been carried out (for tests)."""
        while self._tasks or self._commands.tasks:
            pending = [*self._tasks, *self._commands.tasks]
            await asyncio.gather(*pending, return_exceptions=True)

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
            return inp.CallArrived(
                ch.id, args, ch.exten, ch.caller_number, ch.caller_name, up=ch.state == "Up"
            )
