"""The engine against the exact event JSON a real Asterisk 22 sent (tests/data/ari-traces).

Each test replays a recorded flow through ``EngineRuntime.on_event``: the recorded events in
their recorded order and at their recorded times (virtual time), with the ids the recording's
client chose (``ag-*``, ``br-*``, ``pb-*``, its ``appArgs``) rewritten to the ones the engine
chose.  Each ARI call the engine makes is matched to the recorded request that does the same
thing and is answered when, and as, the recording answered it, so the events a request causes
reach the engine before its answer, as they did on the real Asterisk.  A call the recording has
no request for (the engine's design differs: channel MOH instead of a holding bridge, its bridge
created on answer) succeeds at once.  Requests of the recording the engine does not make stand
for what the far end did: the client's ``DELETE`` of a caller is the caller hanging up.

The engine's configuration mirrors the recorded Asterisk (README "Setup the traces assume"), so
the callers' Stasis args stay as recorded: lines 1700 and 1701 (line code ``sales``), one agent
per PJSIP endpoint named after it, and per flow the prompt and ring timeout the recording used.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

from acd.ari.events import Channel, ChannelHangupRequest, parse_event
from acd.ari.rest import error_for_status
from acd.engine import inputs as inp
from acd.engine.contacts import Phase
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
    Offer,
    OfferResult,
    Outcome,
    Presence,
)
from tests.fakes import AriCall, FakeAriClient
from tests.traces import read_trace, trace_names

TRACE_NAMES = trace_names()

Entry = dict[str, Any]

K = ContactEventKind


# ---------------------------------------------------------------------------------- traces


def load(name: str) -> list[Entry]:
    return read_trace(name)


def find(entries: list[Entry], pick: Callable[[Entry], bool], start: int = 0) -> int:
    return next(i for i in range(start, len(entries)) if pick(entries[i]))


def event(kind: str, channel: str | None = None) -> Callable[[Entry], bool]:
    def pick(entry: Entry) -> bool:
        if entry["dir"] != "event" or entry["event"]["type"] != kind:
            return False
        return channel is None or _subject(entry["event"]) == channel

    return pick


def response(method: str, path: str) -> Callable[[Entry], bool]:
    return lambda e: e["dir"] == "response" and e["method"] == method and e["path"] == path


def websocket_opened(entry: Entry) -> bool:
    return entry["dir"] == "response" and bool(entry.get("websocket"))


def _subject(raw: Mapping[str, Any]) -> str | None:
    channel = raw.get("channel") or raw.get("peer") or {}
    return channel.get("id")


def callers(entries: list[Entry]) -> list[str]:
    """The dialplan callers, in order of their StasisStart (ids like ``1795390448.0``)."""
    return [
        e["event"]["channel"]["id"]
        for e in entries
        if event("StasisStart")(e) and e["event"]["args"][:1] == ["inbound"]
    ]


def originated(entries: list[Entry], endpoint: str) -> str:
    """The id the recording's client gave its originate to ``endpoint``."""
    i = find(entries, lambda e: e["dir"] == "request" and _query(e).get("endpoint") == endpoint)
    return unquote(entries[i]["path"].rsplit("/", 1)[1])


def _query(entry: Entry) -> dict[str, str]:
    return entry.get("query") or {}


def caller_arrives() -> list[Entry]:
    """A real inbound call up to its answer: bridge.jsonl, Stasis(acd,inbound,1701,sales)."""
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    return entries[: find(entries, response("POST", f"/ari/channels/{caller}/answer")) + 1]


def originate_attempt(endpoint: str) -> list[Entry]:
    """From originate_failures.jsonl: the originate to ``endpoint`` and all it caused, up to the
    next attempt (the recording tried one endpoint after the other)."""
    entries = load("originate_failures.jsonl")
    start = find(entries, lambda e: e["dir"] == "request" and _query(e).get("endpoint") == endpoint)
    try:
        stop = find(entries, lambda e: e["dir"] == "request", start + 1)
    except StopIteration:
        stop = len(entries)
    return entries[start:stop]


def splice(*parts: list[Entry]) -> list[Entry]:
    """Recorded pieces one after the other, each keeping its own recorded spacing."""
    out: list[Entry] = []
    for part in parts:
        offset = (out[-1]["t"] + 0.001 - part[0]["t"]) if out else 0.0
        out += [{**copy.deepcopy(e), "t": e["t"] + offset} for e in part]
    return out


def doubled(entries: list[Entry], *, stasis_too: bool = False) -> list[Entry]:
    """Every channel event delivered twice, as subscriptions.jsonl shows for a channel the app
    also sees through an endpoint subscription: all but StasisStart and StasisEnd, which are
    sent to the app itself, once (``stasis_too`` doubles those as well: stricter than seen)."""
    once = () if stasis_too else ("StasisStart", "StasisEnd")
    out: list[Entry] = []
    for e in entries:
        out.append(e)
        if e["dir"] == "event" and e["event"]["type"] not in once and _subject(e["event"]):
            out.append(copy.deepcopy(e))
    return out


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
    """The fake ARI client, with every call (but ``list_channels``) answered by a
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
            await _settle()

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
            self._bind_leg_args(call, _query(self.entries[i]))
        return i

    def _fit(self, call: Call, entry: Entry) -> dict[str, str] | None:
        """The id bindings under which the recorded request is the engine's call, if it is."""
        method, templates = _REQUESTS[call.name]
        if entry["method"] != method or not _query_fits(call, _query(entry), self.ids):
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


async def _settle() -> None:
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


# ---------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("name", TRACE_NAMES)
def test_every_recorded_event_parses_into_its_typed_event(name):
    unmodelled = {"ChannelConnectedLine", "ChannelCreated", "ChannelDialplan"}
    for entry in load(name):
        if entry["dir"] != "event":
            continue
        raw = entry["event"]
        parsed = parse_event(raw)
        expected = "UnknownEvent" if raw["type"] in unmodelled else raw["type"]
        assert type(parsed).__name__ == expected, (raw, parsed)


def test_hangup_request_causes_parse_as_recorded():
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    by_phone = parse_event(entries[find(entries, event("ChannelHangupRequest", caller))]["event"])
    leg = originated(entries, "PJSIP/agent1")
    by_app = parse_event(entries[find(entries, event("ChannelHangupRequest", leg))]["event"])
    assert isinstance(by_phone, ChannelHangupRequest)
    assert isinstance(by_app, ChannelHangupRequest)
    assert (by_phone.cause, by_phone.soft) == (None, False)  # a SIP BYE: no cause at all
    assert (by_app.cause, by_app.soft) == (32, True)  # DELETE: the soft-hangup flag


# ---------------------------------------------------------------------------------- flows


async def test_inbound_call_is_answered_and_welcomed_through_the_recorded_playback_events():
    entries = load("playback.jsonl")
    (caller,) = callers(entries)
    config = recorded_setup(welcome={"1700": ("sound:hello-world",)})
    replay, sink = await replaying(entries, config)
    ari = replay.ari

    assert entries[find(entries, event("StasisStart"))]["event"]["channel"]["state"] == "Ring"
    await replay.run(find(entries, event("PlaybackFinished")))
    answer, play = ari.made
    assert (answer.name, answer.args) == ("answer", (caller,))
    assert (play.name, play.args[:2], play.args[3]) == (
        "play",
        (caller, ["sound:hello-world"]),
        "en",
    )
    recorded_pb = entries[find(entries, event("PlaybackStarted"))]["event"]["playback"]["id"]
    assert replay.ids[recorded_pb] == play.args[2]
    # The ChannelStateChange Up came before the answer's 204; the prompt waited for the 204.
    answered = find(entries, response("POST", f"/ari/channels/{caller}/answer"))
    assert entries[answered - 1]["event"]["type"] == "ChannelStateChange"
    assert play.at > answered
    assert contact(replay).phase is Phase.WELCOME  # PlaybackStarted did not end the prompt

    await replay.run(find(entries, event("ChannelHangupRequest")))
    assert ari.names() == ["answer", "play", "start_moh"]
    assert ari.made[-1].args == (caller, "default")
    assert contact(replay).phase is Phase.QUEUED

    await replay.run()  # the caller goes (here: the recording's client hung it up)
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.ENDED]
    assert sink.last().outcome is Outcome.ABANDONED
    assert ari.names() == ["answer", "play", "start_moh"]
    await asyncio.sleep(200)  # past the prompt guard: nothing left to fire
    assert ari.names() == ["answer", "play", "start_moh"]


async def test_an_answering_agent_is_bridged_and_the_caller_hanging_up_first_ends_it_all():
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent1")
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    ari = replay.ari

    await replay.run(find(entries, event("StasisStart", recorded_leg)))
    originate = ari.one("originate")
    leg = originate.kwargs["channel_id"]
    assert replay.ids[recorded_leg] == leg
    recorded = _query(entries[originate.request or 0])
    assert originate.args == (recorded["endpoint"],)
    assert originate.kwargs["originator"] == recorded["originator"] == caller
    assert originate.kwargs["timeout_s"] == int(recorded["timeout"])
    assert sink.activities("agent1") == [Activity.RESERVED, Activity.RINGING]  # Dial RINGING

    await replay.run(find(entries, event("ChannelHangupRequest", caller)))
    bridge = ari.one("create_bridge").args[0]
    assert ari.names() == [
        "answer", "start_moh", "originate", "stop_moh", "create_bridge", "add_channel"
    ]  # fmt: skip
    assert ari.one("add_channel").args == (bridge, [caller, leg])
    assert contact(replay).phase is Phase.CONNECTED
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED]
    assert sink.activities("agent1")[-1] is Activity.ON_CALL

    await replay.run()
    # ChannelHangupRequest without a cause, ChannelLeftBridge, StasisEnd: the engine hangs the
    # agent up and destroys the bridge, once, whatever the agent leg's own events say after.
    assert ari.names()[6:] == ["hangup", "destroy_bridge"]
    assert (ari.one("hangup").args[0], ari.one("destroy_bridge").args) == (leg, (bridge,))
    assert sink.kinds()[-1] is K.ENDED
    record = sink.last()
    assert (record.outcome, record.agent_id) == (Outcome.ANSWERED, "agent1")
    assert [o.result for o in record.offers] == [OfferResult.ANSWERED]
    assert sink.activities("agent1")[-1] is Activity.WRAP_UP
    await asyncio.sleep(10)
    assert sink.activities("agent1")[-1] is Activity.IDLE
    assert len(ari.made) == 8
    # All 70-odd events went in, the noise among them (ChannelVarset, ChannelConnectedLine, the
    # bridge going native_rtp and back): none of it added a request.
    fed = sum(e["dir"] == "event" for e in entries)
    assert replay.runtime.events_handled == replay.events_fed == fed


async def test_the_agent_hanging_up_first_makes_the_engine_hang_up_the_caller():
    entries = load("bridge_agent_hangup.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent2")
    replay, sink = await replaying(entries, recorded_setup(), "agent2")
    ari = replay.ari

    await replay.run(find(entries, event("ChannelHangupRequest", recorded_leg)))
    assert contact(replay).phase is Phase.CONNECTED
    leg = ari.one("originate").kwargs["channel_id"]
    bridge = ari.one("create_bridge").args[0]

    await replay.run(find(entries, event("StasisEnd", recorded_leg)) + 1)
    # Asterisk leaves the caller alone in the bridge, Up: the engine must end it.
    assert ari.names()[-1] == "hangup"
    assert ari.one("hangup").args[0] == caller
    assert sink.last().outcome is Outcome.ANSWERED
    assert sink.activities("agent2")[-1] is Activity.WRAP_UP

    await replay.run()  # the leg's ChannelDestroyed 16, the caller's own teardown events
    assert ari.names()[6:] == ["hangup", "destroy_bridge"]  # the bridge after the hang-up's 204
    assert ari.one("destroy_bridge").args == (bridge,)
    assert leg not in set(replay.runtime.core.tracked_channels())
    assert sink.kinds().count(K.ENDED) == 1


async def _failed_ring(endpoint: str, agent: str, ring_timeout_s: int) -> tuple[Replay, Sink]:
    """A real caller (bridge.jsonl) queued with two agents free: ``agent`` first, whose phone
    does what the recording's originate to ``endpoint`` did, then agent1."""
    entries = splice(caller_arrives(), originate_attempt(endpoint))
    config = recorded_setup(ring_timeout_s=ring_timeout_s, agents={agent: endpoint})
    replay, sink = await replaying(entries, config, agent, "agent1")
    await replay.run()
    await _settle()
    return replay, sink


def _assert_missed_and_passed_on(replay: Replay, sink: Sink, agent: str, endpoint: str) -> None:
    assert [c.args[0] for c in replay.ari.made if c.name == "originate"] == [
        endpoint,
        "PJSIP/agent1",
    ]
    state = replay.runtime.core.agents[agent]
    assert (state.presence, state.reason, state.activity) == (
        Presence.NOT_AVAILABLE,
        "missed",
        Activity.IDLE,
    )
    assert sink.kinds()[-3:] == [K.OFFERED, K.OFFER_ENDED, K.OFFERED]
    assert contact(replay).phase is Phase.RINGING  # now ringing agent1


def _first_leg(replay: Replay) -> str:
    return str(next(c.kwargs["channel_id"] for c in replay.ari.made if c.name == "originate"))


def _rang_s(offer: Offer) -> float:
    assert offer.ended_at is not None
    return (offer.ended_at - offer.offered_at).total_seconds()


def _hung_up(replay: Replay) -> list[str]:
    return [c.args[0] for c in replay.ari.made if c.name == "hangup"]


async def test_busy_486_ends_the_offer_as_busy_and_rings_the_next_agent():
    replay, sink = await _failed_ring("PJSIP/agent4", "agent4", ring_timeout_s=10)
    _assert_missed_and_passed_on(replay, sink, "agent4", "PJSIP/agent4")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.agent_id, offer.result, offer.cause) == ("agent4", OfferResult.BUSY, 17)
    assert sink.activities("agent4") == [Activity.RESERVED, Activity.RINGING, Activity.IDLE]
    await asyncio.sleep(30)  # past the ring guard of the busy leg: cancelled, no hang-up
    assert _first_leg(replay) not in _hung_up(replay)


async def test_ring_timeout_ends_the_offer_as_no_answer_at_the_timeout():
    replay, sink = await _failed_ring("PJSIP/agent3", "agent3", ring_timeout_s=5)
    first = next(c for c in replay.ari.made if c.name == "originate")
    # The recorded originate had timeout=5: ChannelDestroyed 19 came exactly then, alone.
    assert first.kwargs["timeout_s"] == int(_query(replay.entries[first.request or 0])["timeout"])
    _assert_missed_and_passed_on(replay, sink, "agent3", "PJSIP/agent3")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.NO_ANSWER, 19)
    assert _rang_s(offer) == pytest.approx(5, abs=0.05)
    await asyncio.sleep(30)
    assert _first_leg(replay) not in _hung_up(replay)  # Asterisk ended the leg itself


async def test_an_unreachable_phone_ends_the_offer_as_unreachable_after_sip_timer_b():
    replay, sink = await _failed_ring("PJSIP/unreach", "unreach", ring_timeout_s=45)
    _assert_missed_and_passed_on(replay, sink, "unreach", "PJSIP/unreach")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.UNREACHABLE, 18)
    assert _rang_s(offer) == pytest.approx(32, abs=0.05)
    # No Dial RINGING ever came: reserved, never ringing; and the ring guard (50 s) kept still.
    assert sink.activities("unreach") == [Activity.RESERVED, Activity.IDLE]
    assert _first_leg(replay) not in _hung_up(replay)


async def test_an_endpoint_asterisk_cannot_allocate_is_unreachable_and_passed_on():
    replay, sink = await _failed_ring("PJSIP/nosuch", "nosuch", ring_timeout_s=5)
    _assert_missed_and_passed_on(replay, sink, "nosuch", "PJSIP/nosuch")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.UNREACHABLE, None)


async def test_a_local_channel_agent_that_is_busy_ends_the_offer_as_busy():
    # Local/...: only Dial says BUSY; the ;1 half is destroyed with cause 0 "Unknown".
    replay, sink = await _failed_ring("Local/busy@agents", "agent4", ring_timeout_s=5)
    _assert_missed_and_passed_on(replay, sink, "agent4", "Local/busy@agents")
    offer = sink.contacts[-2].contact.offers[0]
    assert (offer.result, offer.cause) == (OfferResult.BUSY, 17)


async def test_a_caller_abandoning_while_the_agent_rings_cancels_the_agent_leg():
    entries = load("queue_abandon.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent3")
    prompt = ("sound:queue-thankyou", "sound:queue-youarenext")
    config = recorded_setup(welcome={"1701": prompt}, ring_timeout_s=30)
    replay, sink = await replaying(entries, config, "agent3")
    ari = replay.ari

    # Two-file prompt: PlaybackStarted, PlaybackContinuing, PlaybackStarted: still the prompt.
    await replay.run(find(entries, event("PlaybackFinished")))
    assert ari.names() == ["answer", "play"]
    assert ari.one("play").args[1] == list(prompt)
    assert contact(replay).phase is Phase.WELCOME

    await replay.run(find(entries, event("ChannelHangupRequest", caller)))
    leg = ari.one("originate").kwargs["channel_id"]
    assert replay.ids[recorded_leg] == leg
    assert ari.one("originate").kwargs["timeout_s"] == 30
    assert contact(replay).phase is Phase.RINGING
    assert sink.activities("agent3") == [Activity.RESERVED, Activity.RINGING]
    # The recording's bridge announcement failed at once (PlaybackFinished "failed"): not ours.
    assert ari.names() == ["answer", "play", "start_moh", "originate"]

    await replay.run()
    assert ari.names()[4:] == ["hangup"]
    assert ari.one("hangup").args[0] == leg
    record = sink.last()
    assert (record.outcome, record.offers[0].result) == (Outcome.ABANDONED, OfferResult.CANCELLED)
    agent = replay.runtime.core.agents["agent3"]
    assert (agent.presence, agent.activity) == (Presence.AVAILABLE, Activity.IDLE)  # not missed
    # The cancelled leg's ChannelHangupRequest 32, Dial NOANSWER, ChannelDestroyed 16: nothing.
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ENDED]
    await asyncio.sleep(60)
    assert ari.names()[4:] == ["hangup"]


async def test_channel_events_delivered_twice_by_an_endpoint_subscription_do_nothing_twice():
    entries = load("subscriptions.jsonl")
    (caller,) = callers(entries)
    recorded_leg = originated(entries, "PJSIP/agent1")
    twice = [e for e in entries if event("ChannelDestroyed", recorded_leg)(e)]
    assert len(twice) == 2  # the recording really doubled them
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    ari = replay.ari

    await replay.run()
    # The recorded teardown of the agent leg stands for the agent hanging up.
    assert ari.names() == [
        "answer", "start_moh", "originate", "stop_moh", "create_bridge", "add_channel",
        "hangup", "destroy_bridge",
    ]  # fmt: skip
    assert ari.one("hangup").args[0] == caller
    assert sink.kinds() == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert sink.activities("agent1") == [
        Activity.RESERVED,
        Activity.RINGING,
        Activity.ON_CALL,
        Activity.WRAP_UP,
    ]
    assert not replay.runtime.core.contacts


FLOWS: dict[str, tuple[EngineConfig, str]] = {
    "bridge.jsonl": (recorded_setup(), "agent1"),
    "bridge_agent_hangup.jsonl": (recorded_setup(), "agent2"),
    "queue_abandon.jsonl": (
        recorded_setup(
            welcome={"1701": ("sound:queue-thankyou", "sound:queue-youarenext")},
            ring_timeout_s=30,
        ),
        "agent3",
    ),
    "subscriptions.jsonl": (recorded_setup(), "agent1"),
}


@pytest.mark.parametrize("stasis_too", [False, True], ids=["as-recorded", "stasis-too"])
@pytest.mark.parametrize("name", sorted(FLOWS))
async def test_every_channel_event_twice_changes_nothing_the_engine_does(name, stasis_too):
    # "stasis-too" is stricter than the recordings; it caught the runtime taking a caller's
    # repeated StasisStart for an agent leg answering, and hanging the caller up.
    async def outcome(entries: list[Entry]) -> tuple[list[tuple[str, tuple[Any, ...]]], Any]:
        config, agent = FLOWS[name]
        replay, sink = await replaying(entries, config, agent)
        await replay.run()
        await asyncio.sleep(60)
        calls = [(c.name, c.args) for c in replay.ari.made]
        contacts = [(e.kind, e.contact.outcome) for e in sink.contacts]
        agents = [(e.agent_id, e.presence, e.activity, e.reason) for e in sink.agents]
        return calls, (contacts, agents)

    entries = load(name)
    once = await outcome(entries)
    assert once == await outcome(doubled(entries, stasis_too=stasis_too))


async def test_the_noise_of_every_recorded_flow_changes_nothing_in_a_connected_call():
    # Every event of every trace that carries no call control, moved onto a live bridged call.
    entries = load("bridge.jsonl")
    (caller,) = callers(entries)
    replay, sink = await replaying(entries, recorded_setup(), "agent1")
    await replay.run(find(entries, event("ChannelHangupRequest", caller)))
    leg = replay.ari.one("originate").kwargs["channel_id"]
    bridge = replay.ari.one("create_bridge").args[0]
    calls, emitted = len(replay.ari.made), (len(sink.contacts), len(sink.agents))

    noise = {
        "ChannelVarset",
        "ChannelConnectedLine",
        "ChannelStateChange",
        "ChannelEnteredBridge",
        "ChannelDialplan",
        "ChannelCreated",
        "EndpointStateChange",
        "PlaybackStarted",
        "PlaybackContinuing",
        "RecordingStarted",
        "RecordingFinished",
    }
    fed = 0
    for name in TRACE_NAMES:
        for entry in load(name):
            if entry["dir"] == "event" and entry["event"]["type"] in noise:
                replay.runtime.on_event(parse_event(_aimed_at(entry["event"], caller, leg, bridge)))
                fed += 1
    await _settle()
    assert fed > 300
    assert len(replay.ari.made) == calls
    assert (len(sink.contacts), len(sink.agents)) == emitted
    assert contact(replay).phase is Phase.CONNECTED

    await replay.run()  # and the call still ends as it should
    assert replay.ari.names()[-2:] == ["hangup", "destroy_bridge"]
    assert sink.last().outcome is Outcome.ANSWERED


def _aimed_at(raw: Mapping[str, Any], caller: str, leg: str, bridge: str) -> dict[str, Any]:
    """A recorded event moved onto the live call: dialplan channels (``<epoch>.<seq>``) become
    the caller, the others (``ag-``, ``snoop-``, ``Local/``...) the agent leg."""
    out = copy.deepcopy(dict(raw))
    if "channel" in out:
        out["channel"]["id"] = caller if out["channel"]["id"][:1].isdigit() else leg
    if "bridge" in out:
        out["bridge"]["id"] = bridge
    return out


async def test_a_hangup_lost_in_an_events_outage_is_found_on_reconnect_and_the_other_kept():
    entries = load("ws_reconnect.jsonl")
    a, b = callers(entries)
    replay, sink = await replaying(entries, recorded_setup())
    ari = replay.ari
    reconnected = find(entries, websocket_opened, find(entries, websocket_opened) + 1)

    await replay.run(reconnected)
    # Both callers queued; then the outage, during which caller B hung up: nothing came.
    assert [c.args for c in ari.made] == [(a,), (a, "default"), (b,), (b, "default")]
    assert len(replay.runtime.core.contacts) == 2
    listing = entries[find(entries, response("GET", "/ari/channels"), reconnected)]
    ari.channels = [Channel.parse(c) for c in listing["body"]]
    assert [c.id for c in ari.channels] == [a]

    await replay.run(reconnected + 1)  # on_connected(first=False): the resync
    assert len(ari.called("list_channels")) == 2  # at the first connection, and now
    (left,) = replay.runtime.core.contacts.values()
    assert (left.caller_channel, left.phase) == (a, Phase.QUEUED)  # A kept, still waiting
    ended = sink.contacts[-1]
    assert (ended.kind, ended.contact.channel_id) == (K.ENDED, b)
    assert ended.contact.outcome is Outcome.ABANDONED
    assert len(ari.made) == 4  # nothing asked of ARI for B (gone) nor again for A

    await replay.run()  # A's StasisEnd arrives on the new connection
    assert not replay.runtime.core.contacts
    assert [e.contact.channel_id for e in sink.contacts if e.kind is K.ENDED] == [b, a]
    assert len(ari.made) == 4


async def test_application_replaced_is_logged_and_changes_nothing(caplog):
    # Only the events: the second WebSocket in this trace is the other client's, not ours.
    entries = [e for e in load("app_replaced.jsonl") if e["dir"] == "event"]
    replay, sink = await replaying(entries, recorded_setup())
    with caplog.at_level(logging.ERROR):
        await replay.run()
    assert "another client took over the ARI app 'acd'" in caplog.text
    assert replay.ari.made == []
    assert sink.contacts == []
