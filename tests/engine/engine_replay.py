"""The engine fed a recorded flow through ``EngineRuntime.on_event``, and what it did.

:class:`Replay` plays the recorded events in their recorded order and at their recorded times
(virtual time), with the ids the recording's client chose (``ag-*``, ``br-*``, ``pb-*``, its
``appArgs``) rewritten to the ones the engine chose.  Each ARI call the engine makes is matched
to the recorded request that does the same thing and is answered when, and as, the recording
answered it, so the events a request causes reach the engine before its answer, as they did on
the real Asterisk.  A call the recording has no request for (the engine's design differs:
channel MOH instead of a holding bridge, its bridge created on answer) succeeds at once.
Requests of the recording the engine does not make stand for what the far end did: the
client's ``DELETE`` of a caller is the caller hanging up.

The engine's configuration (:func:`recorded_setup`) mirrors the recorded Asterisk (README
"Setup the traces assume"), so the callers' Stasis args stay as recorded: lines 1700 and 1701
(line code ``sales``), one agent per PJSIP endpoint named after it, and per flow the prompt and
ring timeout the recording used.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from acd.ari.events import parse_event
from acd.ari.rest import error_for_status
from acd.engine import inputs as inp
from acd.engine.core import EngineCore
from acd.engine.model import AgentConfig, EngineConfig, LineConfig
from acd.engine.runtime import EngineRuntime
from foundation.clock import Clock
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactRecord,
)
from tests.engine.recorded import Entry, request_query, response
from tests.fakes import AriCall, FakeAriClient

# ---------------------------------------------------------------------------------- replay


@dataclass
class Call(AriCall):
    """A call the engine made, with where the replay stood."""

    at: int = 0  # the replay position when the engine made it
    request: int | None = None  # the recorded request it was matched to


# Engine call -> the ARI request it sends: method and path templates ("{0}": that argument,
# "{new x}": an id the engine chose, standing for the one the recording's client chose).
_REQUESTS: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    "answer": ("POST", (("channels", "{0}", "answer"),)),
    "hangup": ("DELETE", (("channels", "{0}"),)),
    "play": ("POST", (("channels", "{0}", "play", "{new 2}"),)),
    "start_moh": ("POST", (("channels", "{0}", "moh"),)),
    "stop_moh": ("DELETE", (("channels", "{0}", "moh"),)),
    # A client that gives no id lets Asterisk pick one (POST /channels, 500 Allocation failed).
    "originate": ("POST", (("channels", "{new channel_id}"), ("channels",))),
    "create_bridge": ("POST", (("bridges", "{new 0}"),)),
    "add_channel": ("POST", (("bridges", "{0}", "addChannel"),)),
    "destroy_bridge": ("DELETE", (("bridges", "{0}"),)),
    "stop_playback": ("DELETE", (("playbacks", "{0}"),)),
}


def _arg(call: Call, key: str) -> Any:
    return call.args[int(key)] if key.isdigit() else call.kwargs[key]


def _segments(path: str) -> list[str]:
    return [unquote(s) for s in path.split("/")[2:]]  # "/ari/channels/x" -> ["channels", "x"]


def _query_fits(call: Call, query: Mapping[str, str], ids: Mapping[str, str]) -> bool:
    if call.name == "originate":
        return bool(query.get("endpoint") == call.args[0])
    if call.name == "create_bridge":
        return bool(query.get("type", "mixing") == call.args[1])
    if call.name == "add_channel":
        return all(ids.get(c, c) in call.args[1] for c in query.get("channel", "").split(","))
    return True


def _replace(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_replace(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, ids) for k, v in value.items()}
    return value


# What the runtime reads on every connection: answered by the fake, not from the recording.
_RESYNC_READS = frozenset({"list_channels", "list_bridges", "get_application"})


class ReplayAri(FakeAriClient):
    """The fake ARI client, with every call (but the resync's reads) answered by a
    :class:`Replay`."""

    def __init__(self) -> None:
        super().__init__()
        self.replay: Replay | None = None
        self.made: list[Call] = []

    async def _respond(self, call: AriCall) -> None:
        if self.replay is not None and call.name not in _RESYNC_READS:
            made = Call(call.name, call.args, call.kwargs)
            self.made.append(made)
            await self.replay.respond(made)

    def one(self, name: str) -> Call:
        (call,) = [c for c in self.made if c.name == name]
        return call

    def names(self) -> list[str]:
        return [c.name for c in self.made]


class Replay:
    def __init__(self, runtime: EngineRuntime, ari: ReplayAri, entries: list[Entry]) -> None:
        self.runtime = runtime
        self.ari = ari
        self.entries = entries
        self.pos = 0  # index of the next entry to play
        self.t = entries[0]["t"]
        self.ids: dict[str, str] = {}  # a string the recording used -> the engine's
        self.leg_args: dict[str, tuple[str, ...]] = {}  # engine agent leg -> its Stasis args
        self.claimed: set[int] = set()
        self.events_fed = 0
        self._held: dict[int, list[asyncio.Future[None]]] = {}
        self._connections = 0
        ari.replay = self

    async def run(self, stop: int | None = None) -> None:
        """Play the entries up to (not including) index ``stop``, or to the end."""
        end = len(self.entries) if stop is None else stop
        while self.pos < end:
            entry = self.entries[self.pos]
            if entry["t"] > self.t:
                await asyncio.sleep(entry["t"] - self.t)  # engine timers fire meanwhile
                self.t = entry["t"]
            self.pos += 1
            await self._play(entry)
            await settle()

    async def _play(self, entry: Entry) -> None:
        if entry["dir"] == "event":
            self.events_fed += 1
            self.runtime.on_event(parse_event(self.rewritten(entry["event"])))
        elif entry["dir"] == "response":
            if entry.get("websocket"):
                # The events stream awaits on_connected before it delivers any event.
                await self.runtime.on_connected(first=self._connections == 0)
                self._connections += 1
            for done in self._held.pop(self.pos - 1, []):
                done.set_result(None)

    def rewritten(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = _replace(raw, self.ids)
        leg = (out.get("channel") or {}).get("id")
        if out["type"] == "StasisStart" and leg in self.leg_args:
            # Asterisk passes the originate's appArgs: the engine's, not the recording client's.
            out["args"] = list(self.leg_args[leg])
        return out

    # ------------------------------------------------------------- the engine's ARI calls

    async def respond(self, call: Call) -> None:
        call.at = self.pos
        call.request = self._claim(call)
        answer = None if call.request is None else self._answer_to(call.request)
        if answer is None:
            return  # nothing recorded for it: success at once
        if answer >= self.pos:
            done = asyncio.get_running_loop().create_future()
            self._held.setdefault(answer, []).append(done)
            await done
        entry = self.entries[answer]
        if entry["status"] >= 400:
            raise error_for_status(
                entry["status"], entry.get("body"), entry["method"], entry["path"]
            )

    def _claim(self, call: Call) -> int | None:
        fits = [
            (i, bindings)
            for i, entry in enumerate(self.entries)
            if i not in self.claimed and entry["dir"] == "request" and not entry.get("websocket")
            for bindings in [self._fit(call, entry)]
            if bindings is not None
        ]
        if not fits:
            return None
        # Several recorded requests may fit (addChannel came once per channel): the first one
        # still to be answered, else the first.
        ahead = [f for f in fits if (self._answer_to(f[0]) or -1) >= self.pos]
        i, bindings = (ahead or fits)[0]
        self.claimed.add(i)
        for recorded, mine in bindings.items():
            for prefix in ("", "channel:", "bridge:"):  # also the playbacks' target_uri
                self.ids[prefix + recorded] = prefix + mine
        if call.name == "originate":
            self._bind_leg_args(call, request_query(self.entries[i]))
        return i

    def _fit(self, call: Call, entry: Entry) -> dict[str, str] | None:
        """The id bindings under which the recorded request is the engine's call, if it is."""
        method, templates = _REQUESTS[call.name]
        if entry["method"] != method or not _query_fits(call, request_query(entry), self.ids):
            return None
        segments = _segments(entry["path"])
        for template in templates:
            bindings = self._fit_path(call, template, segments)
            if bindings is not None:
                return bindings
        return None

    def _fit_path(
        self, call: Call, template: tuple[str, ...], segments: list[str]
    ) -> dict[str, str] | None:
        if len(template) != len(segments):
            return None
        bindings: dict[str, str] = {}
        for want, got in zip(template, segments, strict=True):
            if want.startswith("{new "):
                mine = _arg(call, want[5:-1])
                taken = got not in self.ids and mine in self.ids.values()
                if self.ids.get(got, mine) != mine or taken:
                    return None
                bindings[got] = mine
            elif want.startswith("{"):
                if self.ids.get(got, got) != _arg(call, want[1:-1]):
                    return None
            elif want != got:
                return None
        return bindings

    def _bind_leg_args(self, call: Call, query: Mapping[str, str]) -> None:
        mine = tuple(call.kwargs["app_args"])
        self.leg_args[call.kwargs["channel_id"]] = mine
        if "appArgs" in query:  # also in the leg's dialplan.app_data: "acd,agent,..."
            joined = ",".join(mine)
            self.ids[query["appArgs"]] = joined
            self.ids[f"{query['app']},{query['appArgs']}"] = f"{call.kwargs['app']},{joined}"

    def _answer_to(self, request: int) -> int | None:
        entry = self.entries[request]
        for j in range(request + 1, len(self.entries)):
            if response(entry["method"], entry["path"])(self.entries[j]):
                return j
        return None


async def settle() -> None:
    """Let the engine's ARI tasks run as far as they can before the next recorded entry."""
    for _ in range(50):
        await asyncio.sleep(0)


# ---------------------------------------------------------------------------------- engine


@dataclass
class Sink:
    contacts: list[ContactEvent] = field(default_factory=list)
    agents: list[AgentEvent] = field(default_factory=list)

    def contact_event(self, event: ContactEvent) -> None:
        self.contacts.append(event)

    def agent_event(self, event: AgentEvent) -> None:
        self.agents.append(event)

    def kinds(self) -> list[ContactEventKind]:
        return [e.kind for e in self.contacts]

    def last(self) -> ContactRecord:
        return self.contacts[-1].contact

    def activities(self, agent_id: str) -> list[Activity]:
        """The agent's activity changes (not the start, not presence-only changes)."""
        return [
            e.activity
            for e in self.agents
            if e.agent_id == agent_id and e.previous_activity not in (None, e.activity)
        ]


ENDPOINTS = ("agent1", "agent2", "agent3", "agent4", "unreach", "nosuch")


def recorded_setup(
    *,
    welcome: Mapping[str, tuple[str, ...]] | None = None,
    ring_timeout_s: int = 20,
    agents: Mapping[str, str] | None = None,
) -> EngineConfig:
    """Lines and agents like the recorded Asterisk's: line 1700 (language en, as the recorded
    playback asked) and 1701 with line code ``sales``; agent ``x`` rings ``PJSIP/x``."""
    welcome = welcome or {}
    lines = (
        LineConfig(
            "1700", "General", ("1700",), ("general",), "general", welcome.get("1700", ()), "en"
        ),
        LineConfig("1701", "Sales", ("1701",), ("sales",), "sales", welcome.get("1701", ())),
    )
    endpoints = {a: f"PJSIP/{a}" for a in ENDPOINTS} | dict(agents or {})
    skills = {"general": 3, "sales": 3}
    return EngineConfig(
        lines=lines,
        agents=tuple(AgentConfig(a, a, ep, skills) for a, ep in endpoints.items()),
        ring_timeout_s=ring_timeout_s,
    )


async def replaying(
    entries: list[Entry], config: EngineConfig, *logged_in: str
) -> tuple[Replay, Sink]:
    counter = itertools.count(1)
    core = EngineCore(config, ids=lambda prefix: f"{prefix}-e{next(counter)}")
    ari = ReplayAri()
    sink = Sink()
    runtime = EngineRuntime(core, ari, Clock(), [sink], "acd")
    runtime.start()
    for agent_id in logged_in:
        runtime.submit(inp.AgentLogin(agent_id))
        await asyncio.sleep(1)  # logged in first, idle longest: offered first
    return Replay(runtime, ari, entries), sink


def contact(replay: Replay):
    (only,) = replay.runtime.core.contacts.values()
    return only
