"""The simulated PBX: registries, ids, timers and the Python API the demo and tests drive.

Behaviour lives in one component per concern, each holding a reference back to the PBX:
:mod:`~emulator.lifecycle` (channel birth, Stasis, hang-up sequences),
:mod:`~emulator.dialing` (originate, create/dial, endpoint behaviours),
:mod:`~emulator.bridging`, :mod:`~emulator.media` (playbacks, recordings),
:mod:`~emulator.channel_ops` (the per-channel REST operations) and
:mod:`~emulator.phones` (what callers and SIP phones do).  Everything runs on the event
loop; all timing uses the loop's clock, so under a virtual-time loop a 32 s SIP timeout passes
in microseconds.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from emulator.bridging import Bridging
from emulator.bus import EventBus
from emulator.channel_ops import ChannelOps
from emulator.config import EndpointSpec, PbxConfig
from emulator.dialing import Dialer
from emulator.errors import conflict, not_found, precondition_failed
from emulator.lifecycle import Lifecycle
from emulator.media import Media
from emulator.model import OUTBOUND_PRE_ANSWER_STATES, Bridge, CallRecord, Channel
from emulator.noise import Noise
from emulator.phones import Phones
from emulator.scripts import Behaviour, CallerScript
from foundation.clock import Clock

log = logging.getLogger(__name__)

#: Call records kept for observability (a long demo run would otherwise grow without bound).
HISTORY_LIMIT = 100_000


def asterisk_timestamp(moment: datetime) -> str:
    """Asterisk's format: ``2026-11-22T23:34:08.413+0000`` (always UTC here)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class Pbx:
    def __init__(self, config: PbxConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or PbxConfig()
        self.clock = clock or Clock(wall_start=self.config.wall_start)
        self.rng = random.Random(self.config.seed)
        self.bus = EventBus(self.config.asterisk_id, self.timestamp)
        self.endpoints: dict[str, EndpointSpec] = {e.key: e for e in self.config.endpoints}
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.history: dict[str, CallRecord] = {}
        self.global_vars: dict[str, str] = {}
        self._epoch: int | None = None
        self._seq = 0
        self._name_counters: dict[str, int] = {}
        self.started_at = ""
        self._timers: list[asyncio.TimerHandle] = []
        self.lifecycle = Lifecycle(self)
        self.noise = Noise(self)
        self.dialer = Dialer(self)
        self.bridging = Bridging(self)
        self.media = Media(self)
        self.channel_ops = ChannelOps(self)
        self.phones = Phones(self)
        # Told of every outgoing SIP leg as it is originated and as it is destroyed (the
        # two-node demo counts an agent phone rung while it already had a live call).
        self.leg_watchers: list[Callable[[str, Channel], None]] = []

    # --- time and ids --------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.monotonic()

    def timestamp(self) -> str:
        stamp = asterisk_timestamp(self.clock.now())
        if not self.started_at:
            self.started_at = stamp
        return stamp

    def mark_started(self) -> None:
        """Anchor the wall clock and ``/asterisk/info``'s startup time at server start."""
        self.started_at = self.timestamp()

    def new_unique_id(self) -> str:
        """``<epoch>.<sequence>`` like Asterisk's uniqueids; every channel uses up a number."""
        if self._epoch is None:
            self._epoch = int(self.clock.now().timestamp())
        seq, self._seq = self._seq, self._seq + 1
        return f"{self._epoch}.{seq}"

    def next_name_counter(self, technology: str) -> int:
        n = self._name_counters.get(technology, 0)
        self._name_counters[technology] = n + 1
        return n

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def later(
        self, delay: float, action: Callable[[], None], owner: Channel | None = None
    ) -> asyncio.TimerHandle:
        """Run ``action`` after ``delay`` loop seconds; cancelled with ``owner``'s timers."""
        handle = self.clock.loop.call_later(max(0.0, delay), self._guarded, action)
        if owner is not None:
            owner.timers.append(handle)
        self._timers.append(handle)
        if len(self._timers) > 1024:  # forget the ones that have fired
            now = self.clock.loop.time()
            self._timers = [h for h in self._timers if h.when() > now and not h.cancelled()]
        return handle

    def legs_changed(self, what: str, chan: Channel) -> None:
        """``what``: "originated" or "destroyed"."""
        for watcher in self.leg_watchers:
            watcher(what, chan)

    def shutdown(self) -> None:
        """Cancel every pending timer: nothing happens after the emulator stops."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    @staticmethod
    def _guarded(action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:  # a PBX bug must not stop the simulation
            log.exception("emulator timer failed")

    # --- lookups shared by the REST layer ------------------------------------------------

    def channel(self, channel_id: str) -> Channel:
        chan = self.channels.get(channel_id)
        if chan is None:
            raise not_found("Channel not found")
        return chan

    def controlled(self, channel_id: str) -> Channel:
        """A channel the application controls (in Stasis): 404 / 409 like ``find_control``."""
        chan = self.channel(channel_id)
        if chan.stasis_app is None:
            raise conflict("Channel not in Stasis application")
        return chan

    def controlled_answerable(self, channel_id: str) -> Channel:
        """Controlled and not an unanswered outbound leg (``channel_state_invalid``: 412)."""
        chan = self.controlled(channel_id)
        if chan.state in OUTBOUND_PRE_ANSWER_STATES:
            raise precondition_failed("Channel in invalid state")
        return chan

    def bridge(self, bridge_id: str) -> Bridge:
        found = self.bridges.get(bridge_id)
        if found is None:
            raise not_found("Bridge not found")
        return found

    # --- Python API: the phone side ------------------------------------------------------

    def place_call(
        self,
        number: str,
        caller_number: str = "caller",
        caller_name: str = "",
        script: CallerScript | None = None,
        endpoint: str | None = None,
    ) -> str:
        """A phone dials ``number``; returns the new channel id (rejected calls get one too)."""
        return self.phones.place_call(number, caller_number, caller_name, script, endpoint)

    def hangup_from_phone(self, channel_id: str, cause: int | None = None) -> None:
        """The phone sends BYE (or CANCEL); ``cause`` is reported only when given."""
        self.phones.hangup(channel_id, cause)

    def send_dtmf(
        self, channel_id: str, digits: str, duration_ms: int = 280, gap_s: float = 0.6
    ) -> None:
        """The phone presses ``digits`` now, one every ``gap_s``; each is reported at its end."""
        self.phones.send_dtmf(channel_id, digits, duration_ms, gap_s)

    def set_endpoint(
        self, key: str, behaviour: Behaviour | None = None, online: bool | None = None
    ) -> EndpointSpec:
        """Add or change an endpoint (``"PJSIP/agent1"`` or ``"agent1"``)."""
        technology, _, resource = key.rpartition("/")
        full = f"{technology or 'PJSIP'}/{resource}"
        old = self.endpoints.get(full) or EndpointSpec(resource, technology=technology or "PJSIP")
        spec = replace(
            old,
            behaviour=behaviour if behaviour is not None else old.behaviour,
            online=online if online is not None else old.online,
        )
        self.endpoints[full] = spec
        return spec

    # --- observability -------------------------------------------------------------------

    def remember(self, record: CallRecord) -> None:
        """Keep a call's record; the oldest go once ``HISTORY_LIMIT`` is reached."""
        self.history[record.id] = record
        while len(self.history) > HISTORY_LIMIT:
            del self.history[next(iter(self.history))]

    @property
    def channel_count(self) -> int:
        return len(self.channels)

    def bridged_with(self, channel_id: str) -> list[str]:
        """The other channels in the same bridge as ``channel_id`` (empty if none)."""
        chan = self.channel(channel_id)
        if chan.bridge_id is None:
            return []
        return [c for c in self.bridges[chan.bridge_id].channel_ids if c != channel_id]

    def describe_channel(self, channel_id: str) -> dict[str, Any]:
        chan = self.channel(channel_id)
        return {
            **chan.to_json(),
            "kind": chan.kind.value,
            "stasis_app": chan.stasis_app,
            "bridge_id": chan.bridge_id,
            "bridged_with": self.bridged_with(channel_id),
            "moh_class": chan.moh_class,
            "on_hold": chan.on_hold,
            "ringing": chan.ringing_indicated,
            "playbacks": self.media.playing_on(channel_id),
            "variables": dict(chan.variables),
        }

    def describe_bridge(self, bridge_id: str) -> dict[str, Any]:
        bridge = self.bridge(bridge_id)
        return {**bridge.to_json(), "moh_class": bridge.moh_class}

    def stats(self) -> dict[str, Any]:
        ended = [r for r in self.history.values() if r.ended_at is not None]
        return {
            "channels": len(self.channels),
            "bridges": len(self.bridges),
            "calls_total": len(self.history),
            "calls_ended": len(ended),
            "calls_rejected": sum(r.rejected for r in self.history.values()),
            "events_delivered": self.bus.delivered,
            "apps": {n: a.active for n, a in self.bus.apps.items()},
        }
