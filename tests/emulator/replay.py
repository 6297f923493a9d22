"""Replay a recorded Asterisk flow against the emulator and compare what comes back.

A trace (``shared/asterisk/ari-traces/<flow>.jsonl``) holds the requests an ARI client sent to a
real Asterisk 22, its responses, and the WebSocket events it received.  :func:`replay`:

1. opens the events WebSocket(s) when the client did (and closes them on the recorded notes);
2. plays the phone side the trace implies, at the recorded times: an inbound call for each
   first ``StasisStart`` of a dialplan channel, the caller's BYE for each ``ChannelHangupRequest``
   that is not ``soft``, and each ``ChannelDtmfReceived`` digit (pressed ``duration_ms`` earlier);
3. replays every recorded REST request at its recorded time, with recorded ids (the dialplan
   channels' ``<epoch>.<seq>``) mapped to the emulator's.  A request is held back until the
   emulator has delivered as many events as the recording had before it, so a request never
   overtakes the event that prompted it (virtual time: the wait costs nothing).

:func:`compare` then checks, ids and timestamps aside:

- every response status, and the normalised response bodies;
- the normalised events as a multiset (same events, same number of copies);
- the order of events per entity (channel, playback, bridge, recording, endpoint); and
- that each event came within ``TIME_TOLERANCE_S`` of its recorded time.

Normalising drops what cannot match by nature: timestamps, ``creationtime``, ``protocol_id``,
the hex counter in channel names, and Asterisk-internal channel ids (announcers) in bridge
snapshots.  ``ChannelVarset`` noise (``BRIDGEPEER``, ``BRIDGEPVTCALLID``, ``RTPAUDIOQOS*``) is
compared as the sequence of *changes* per channel and variable (Asterisk repeats the same value a
varying number of times between real runs), with ``BRIDGEPVTCALLID`` reduced to set / empty and
the RTCP statistics to their shape (digits); it does not count for holding requests back.
``ChannelDialplan``, ``ChannelConnectedLine`` and ``STASISSTATUS`` are compared like any other
event.  The relative order
of ``ChannelStateChange Ringing`` and ``Dial RINGING`` varies in the recordings themselves (and
with it the peer's state in that ``Dial``), so neither is compared.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from emulator import Emulator

TRACE_DIR = Path(
    os.environ.get(
        "ACD_ARI_TRACES",
        Path(__file__).resolve().parents[2].parent / "shared" / "asterisk" / "ari-traces",
    )
)
TIME_TOLERANCE_S = 0.15
CAUSAL_WAIT_S = 2.0
NOISE_VARIABLES = ("BRIDGEPEER", "BRIDGEPVTCALLID", "RTPAUDIOQOS")

Action = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Entry:
    index: int
    t: float
    raw: dict[str, Any]

    @property
    def dir(self) -> str:
        return str(self.raw["dir"])


def load_trace(name: str) -> list[Entry]:
    path = TRACE_DIR / f"{name}.jsonl"
    lines = path.read_text().splitlines()
    return [Entry(i, float(r["t"]), r) for i, r in enumerate(json.loads(x) for x in lines if x)]


@dataclass
class Observed:
    t: float
    event: dict[str, Any]
    ws: str


@dataclass
class Exchange:
    method: str
    path: str
    recorded_status: int
    recorded_body: Any
    status: int
    body: Any


@dataclass
class ReplayResult:
    recorded: list[Observed]
    emulated: list[Observed]
    exchanges: list[Exchange]
    ids: IdMap
    labelled_sockets: bool


class IdMap:
    """Recorded ids -> emulator ids, applied to every string of a request or recorded event."""

    def __init__(self) -> None:
        self.to_emulator: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def add(self, recorded: str, emulated: str) -> None:
        if recorded != emulated and recorded not in self.to_emulator:
            self.to_emulator[recorded] = emulated
            keys = sorted(self.to_emulator, key=len, reverse=True)
            alternatives = "|".join(re.escape(k) for k in keys)
            self._pattern = re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w.])")

    def apply(self, value: Any) -> Any:
        if isinstance(value, str):
            if self._pattern is None:
                return value
            return self._pattern.sub(lambda m: self.to_emulator[m.group(0)], value)
        if isinstance(value, list):
            return [self.apply(v) for v in value]
        if isinstance(value, dict):
            return {k: self.apply(v) for k, v in value.items()}
        return value


def is_noise(event: dict[str, Any]) -> bool:
    return event.get("type") == "ChannelVarset" and str(event.get("variable", "")).startswith(
        NOISE_VARIABLES
    )


@dataclass
class _Plan:
    actions: list[tuple[float, int, Action]] = field(default_factory=list)

    def add(self, t: float, order: int, action: Action) -> None:
        self.actions.append((t, order, action))


class Replayer:
    def __init__(self, emu: Emulator, session: aiohttp.ClientSession, trace: list[Entry]) -> None:
        self.emu = emu
        self.session = session
        self.trace = trace
        self.ids = IdMap()
        self.emulated: list[Observed] = []
        self.exchanges: list[Exchange] = []
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self._readers: list[asyncio.Task[None]] = []
        self._t0 = 0.0
        token = base64.b64encode(f"{emu.username}:{emu.password}".encode()).decode()
        self._auth = {"Authorization": f"Basic {token}"}

    # --- running -------------------------------------------------------------------------

    async def run(self) -> ReplayResult:
        loop = asyncio.get_running_loop()
        plan = self._plan()
        self._t0 = loop.time()
        for t, _order, action in sorted(plan.actions, key=lambda a: (a[0], a[1])):
            await self._sleep_until(t)
            await action()
        await self._sleep_until(self.trace[-1].t + 1.0)
        for ws in self._sockets:
            await ws.close()
        for reader in self._readers:
            reader.cancel()
        recorded = [
            Observed(e.t, e.raw["event"], str(e.raw.get("ws", "")))
            for e in self.trace
            if e.dir == "event"
        ]
        labelled = any(o.ws for o in recorded)
        return ReplayResult(recorded, self.emulated, self.exchanges, self.ids, labelled)

    def _now(self) -> float:
        return asyncio.get_running_loop().time() - self._t0

    async def _sleep_until(self, t: float) -> None:
        delay = t - self._now()
        if delay > 0:
            await asyncio.sleep(delay)

    # --- planning ------------------------------------------------------------------------

    def _plan(self) -> _Plan:
        plan = _Plan()
        key_events = 0
        inbound: set[str] = set()
        handled: set[tuple[str, str, float]] = set()
        for entry in self.trace:
            raw = entry.raw
            if entry.dir == "request" and raw.get("websocket"):
                plan.add(entry.t, entry.index, self._open_socket)
            elif entry.dir == "request":
                plan.add(entry.t, entry.index, self._request_action(entry, key_events))
            elif entry.dir == "note" and "closes" in str(raw.get("text", "")):
                plan.add(entry.t, entry.index, self._close_socket)
            elif entry.dir == "event":
                event = raw["event"]
                if not is_noise(event):
                    key_events += 1
                self._plan_phone(plan, entry, event, inbound, handled)
        return plan

    def _plan_phone(
        self,
        plan: _Plan,
        entry: Entry,
        event: dict[str, Any],
        inbound: set[str],
        handled: set[tuple[str, str, float]],
    ) -> None:
        chan = event.get("channel") or {}
        cid = str(chan.get("id", ""))
        kind = event["type"]
        key = (kind, cid, entry.t)
        if key in handled:
            return  # a duplicate delivery of the same event
        handled.add(key)
        if kind == "StasisStart" and _is_dialplan_call(chan) and cid not in inbound:
            inbound.add(cid)
            plan.add(entry.t, entry.index, self._call_action(chan))
        elif kind == "ChannelHangupRequest" and cid in inbound and not event.get("soft"):
            plan.add(entry.t, entry.index, self._bye_action(cid, event.get("cause")))
        elif kind == "ChannelDtmfReceived" and cid in inbound:
            press_at = entry.t - int(event["duration_ms"]) / 1000
            plan.add(press_at, entry.index, self._dtmf_action(cid, event))

    # --- actions -------------------------------------------------------------------------

    def _call_action(self, chan: dict[str, Any]) -> Action:
        async def place() -> None:
            emulated = self.emu.pbx.place_call(
                chan["dialplan"]["exten"],
                caller_number=chan["caller"]["number"],
                caller_name=chan["caller"]["name"],
            )
            self.ids.add(chan["id"], emulated)

        return place

    def _bye_action(self, recorded_id: str, cause: Any) -> Action:
        async def bye() -> None:
            self.emu.pbx.hangup_from_phone(self.ids.apply(recorded_id), cause)

        return bye

    def _dtmf_action(self, recorded_id: str, event: dict[str, Any]) -> Action:
        async def press() -> None:
            self.emu.pbx.send_dtmf(
                self.ids.apply(recorded_id), event["digit"], int(event["duration_ms"])
            )

        return press

    async def _open_socket(self) -> None:
        label = f"ws{len(self._sockets) + 1}"
        ws = await self.session.ws_connect(self.emu.events_url("acd"))
        self._sockets.append(ws)
        self._readers.append(asyncio.create_task(self._read(ws, label)))

    async def _close_socket(self) -> None:
        await self._sockets[-1].close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, label: str) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.emulated.append(Observed(self._now(), json.loads(message.data), label))

    def _request_action(self, entry: Entry, key_events_before: int) -> Action:
        response = self._recorded_response(entry)

        async def send() -> None:
            await self._wait_for_events(key_events_before, entry.t + CAUSAL_WAIT_S)
            raw = entry.raw
            path = self.ids.apply(str(raw["path"]))
            query = self.ids.apply(raw.get("query") or {})
            async with self.session.request(
                raw["method"],
                f"{self.emu.url}{path}",
                params=query,
                json=raw.get("body"),
                headers=self._auth,
            ) as answer:
                text = await answer.text()
                body = json.loads(text) if text else None
            self._learn_ids(response.get("body"), body)
            self.exchanges.append(
                Exchange(
                    raw["method"],
                    str(raw["path"]),
                    int(response.get("status", 0)),
                    response.get("body"),
                    answer.status,
                    body,
                )
            )

        return send

    async def _wait_for_events(self, count: int, deadline: float) -> None:
        while sum(not is_noise(o.event) for o in self.emulated) < count:
            if self._now() >= deadline:
                return
            await asyncio.sleep(0.001)

    def _recorded_response(self, request: Entry) -> dict[str, Any]:
        raw = request.raw
        for entry in self.trace[request.index + 1 :]:
            r = entry.raw
            if entry.dir == "response" and (r["method"], r["path"]) == (raw["method"], raw["path"]):
                return r
        return {}

    def _learn_ids(self, recorded: Any, emulated: Any) -> None:
        if isinstance(recorded, dict) and isinstance(emulated, dict):
            rec_id, emu_id = recorded.get("id"), emulated.get("id")
            if isinstance(rec_id, str) and isinstance(emu_id, str):
                self.ids.add(rec_id, emu_id)


def _is_dialplan_call(chan: dict[str, Any]) -> bool:
    return chan.get("state") == "Ring" and chan.get("dialplan", {}).get("app_name") == "Stasis"


async def replay(emu: Emulator, session: aiohttp.ClientSession, trace: list[Entry]) -> ReplayResult:
    return await Replayer(emu, session, trace).run()


# --- comparison --------------------------------------------------------------------------

_NAME_COUNTER = re.compile(r"-[0-9a-f]{8}(?=;[12]$|$)")
_CHANNEL_VOLATILE = ("protocol_id", "creationtime")


def compare(result: ReplayResult) -> list[str]:
    """Everything that differs between the recording and the emulator, as readable lines."""
    recorded = [_mapped(o, result.ids) for o in result.recorded]
    known = _channel_ids(recorded, result.emulated, result.exchanges, result.ids)
    rec = _normalised(recorded, known, result.labelled_sockets)
    emu = _normalised(result.emulated, known, result.labelled_sockets)
    problems = _compare_exchanges(result.exchanges, result.ids, known)
    problems += _compare_multiset(rec, emu)
    problems += _compare_entities(rec, emu)
    return problems


def _mapped(observed: Observed, ids: IdMap) -> Observed:
    return Observed(observed.t, ids.apply(observed.event), observed.ws)


@dataclass(frozen=True)
class _Norm:
    t: float
    key: str
    event: dict[str, Any]


def _normalised(observed: Iterable[Observed], known: set[str], labelled: bool) -> list[_Norm]:
    out = []
    current: dict[tuple[str, str, str], str] = {}
    for o in observed:
        event = normalise(o.event, known)
        if is_noise(o.event):
            event["value"] = noise_value(str(event["variable"]), str(event.get("value", "")))
            # Asterisk repeats these a varying number of times: compare the changes only.
            slot = (o.ws, str(event["channel"]["id"]), str(event["variable"]))
            if current.get(slot) == event["value"]:
                continue
            current[slot] = event["value"]
        if labelled:
            event["_ws"] = o.ws
        out.append(_Norm(o.t, json.dumps(event, sort_keys=True), event))
    return out


_DIGITS = re.compile(r"\d+")


def noise_value(variable: str, value: str) -> str:
    """What is comparable in a noise variable's value: its shape where the value is random."""
    if variable == "BRIDGEPEER":
        return ",".join(_NAME_COUNTER.sub("-*", name) for name in value.split(","))
    if variable == "BRIDGEPVTCALLID":
        return "<call-id>" if value else ""  # SIP Call-IDs of real phones
    return _DIGITS.sub("0", value)  # RTCP statistics and SSRCs


def normalise(value: Any, known: set[str]) -> Any:
    """Drop what cannot match by nature (times, counters, internal ids); keep the rest."""
    if isinstance(value, list):
        return [normalise(v, known) for v in value]
    if not isinstance(value, dict):
        return value
    if "dialplan" in value and "state" in value:
        chan = {k: normalise(v, known) for k, v in value.items() if k not in _CHANNEL_VOLATILE}
        chan["name"] = _NAME_COUNTER.sub("-*", str(value.get("name", "")))
        return chan
    if "bridge_class" in value:
        bridge = {k: v for k, v in value.items() if k != "creationtime"}
        bridge["channels"] = [c for c in value.get("channels", ()) if c in known]
        return bridge
    if "events_allowed" in value:
        # An application's bridges include leftovers of earlier runs on the real Asterisk
        # (event_filter.jsonl); only bridges this flow met are comparable.
        application = dict(value)
        application["bridge_ids"] = [b for b in value.get("bridge_ids", ()) if b in known]
        return application
    drop = {"timestamp", "asterisk_id"}
    out = {k: normalise(v, known) for k, v in value.items() if k not in drop}
    if out.get("type") == "Dial" and out.get("dialstatus") == "RINGING":
        out["peer"]["state"] = "Down|Ringing"  # raced with the state change in real runs
    return out


def _channel_ids(
    recorded: list[Observed], emulated: list[Observed], exchanges: list[Exchange], ids: IdMap
) -> set[str]:
    """Ids of the channels an application can see (not announcers or recorders) and of the
    bridges the flow met."""
    known: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                collect(v)
        elif isinstance(value, dict):
            if ("dialplan" in value or "bridge_class" in value) and "id" in value:
                known.add(str(value["id"]))
            for v in value.values():
                collect(v)

    for o in (*recorded, *emulated):
        collect(o.event)
    for x in exchanges:
        collect(ids.apply(x.recorded_body))
        collect(x.body)
    return known


def _compare_exchanges(exchanges: list[Exchange], ids: IdMap, known: set[str]) -> list[str]:
    problems = []
    for x in exchanges:
        where = f"{x.method} {x.path}"
        if x.status != x.recorded_status:
            problems.append(f"{where}: status {x.status}, recorded {x.recorded_status}: {x.body}")
            continue
        want = _body_view(x.path, ids.apply(x.recorded_body), known)
        got = _body_view(x.path, x.body, known)
        if want != got:
            problems.append(f"{where}: body\n    got      {got}\n    recorded {want}")
    return problems


def _body_view(path: str, body: Any, known: set[str]) -> Any:
    if path.endswith("/asterisk/info"):
        return _shape(body)  # build details (kernel, date, user) are the host's own
    view = normalise(body, known)
    if "/snoop" in path and isinstance(view, dict) and isinstance(view.get("dialplan"), dict):
        # The snoop channel enters Stasis on its own thread: the response shows it before
        # (snoop.jsonl) or after (supervisor_whisper_barge.jsonl) that, so not its dialplan app.
        view["dialplan"] = {**view["dialplan"], "app_name": "*", "app_data": "*"}
    return view


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


def _compare_multiset(rec: list[_Norm], emu: list[_Norm]) -> list[str]:
    missing = Counter(n.key for n in rec) - Counter(n.key for n in emu)
    extra = Counter(n.key for n in emu) - Counter(n.key for n in rec)
    problems = [f"missing event x{n}: {k}" for k, n in missing.items()]
    problems += [f"unexpected event x{n}: {k}" for k, n in extra.items()]
    return problems


def entities(event: dict[str, Any]) -> list[str]:
    """The objects an event is about; its order is compared within each of them."""
    out = []
    for key, prefix in (("channel", "channel"), ("peer", "channel"), ("bridge", "bridge")):
        if isinstance(event.get(key), dict):
            out.append(f"{prefix}:{event[key]['id']}")
    if isinstance(event.get("playback"), dict):
        out.append(f"playback:{event['playback']['id']}")
    if isinstance(event.get("recording"), dict):
        out.append(f"recording:{event['recording']['name']}")
    if isinstance(event.get("endpoint"), dict):
        ep = event["endpoint"]
        out.append(f"endpoint:{ep['technology']}/{ep['resource']}")
    if event.get("type") == "ChannelDestroyed" or not out:
        out.append(f"application:{event.get('application')}")
    if event.get("type") == "BridgeDestroyed":
        out = [f"bridge:{event['bridge']['id']}"]
    return out


def _by_entity(events: list[_Norm]) -> dict[str, list[_Norm]]:
    grouped: dict[str, list[_Norm]] = defaultdict(list)
    for n in events:
        for entity in entities(n.event):
            if not entity.startswith("application:") or n.event.get("type") != "ChannelDestroyed":
                grouped[entity].append(n)
    return {k: _canonical_ringing(v) for k, v in grouped.items()}


def _canonical_ringing(events: list[_Norm]) -> list[_Norm]:
    """Put ``Dial RINGING`` after ``ChannelStateChange Ringing``: real runs show both orders."""
    out = list(events)
    for i in range(len(out) - 1):
        a, b = out[i].event, out[i + 1].event
        dial_first = a.get("type") == "Dial" and a.get("dialstatus") == "RINGING"
        if dial_first and b.get("type") == "ChannelStateChange" and _state(b) == "Ringing":
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _state(event: dict[str, Any]) -> str:
    return str((event.get("channel") or {}).get("state", ""))


def _compare_entities(rec: list[_Norm], emu: list[_Norm]) -> list[str]:
    problems = []
    rec_groups, emu_groups = _by_entity(rec), _by_entity(emu)
    for entity in sorted(set(rec_groups) | set(emu_groups)):
        want, got = rec_groups.get(entity, []), emu_groups.get(entity, [])
        if [n.key for n in want] != [n.key for n in got]:
            problems.append(
                f"{entity}: event order\n    got      {_summary(got)}\n"
                f"    recorded {_summary(want)}"
            )
            continue
        for w, g in zip(want, got, strict=True):
            if abs(w.t - g.t) > TIME_TOLERANCE_S:
                problems.append(
                    f"{entity}: {_label(g.event)} at {g.t:.3f} s, recorded at {w.t:.3f} s"
                )
    return problems


def _summary(events: list[_Norm]) -> str:
    return ", ".join(_label(n.event) for n in events)


def _label(event: dict[str, Any]) -> str:
    detail = (
        event.get("variable")
        or event.get("dialstatus")
        or (event.get("channel") or {}).get("state")
        or (event.get("playback") or {}).get("state")
        or ""
    )
    return f"{event.get('type')}({detail})" if detail else str(event.get("type"))
