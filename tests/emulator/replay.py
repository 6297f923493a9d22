"""Replay a recorded Asterisk flow against the emulator and compare what comes back.

A trace (``shared/asterisk/ari-traces/<flow>.jsonl``) holds the requests an ARI client sent to a
real Asterisk 22, its responses, and the WebSocket events it received.  :func:`replay`:

1. opens the events WebSocket(s) when the client did (and closes them on the recorded notes);
2. plays the phone side the trace implies, at the recorded times: an inbound call for each
   first ``StasisStart`` of a dialplan channel, the caller's BYE for each ``ChannelHangupRequest``
   that is not ``soft``, and each ``ChannelDtmfReceived`` digit (pressed ``duration_ms`` earlier);
3. replays every recorded REST request (over HTTP, or as a ``RESTRequest`` on the WebSocket:
   ``ws_request`` entries) at its recorded time, with recorded ids (the dialplan
   channels' ``<epoch>.<seq>``) mapped to the emulator's.  A request is held back until the
   emulator has delivered as many events as the recording had before it, so a request never
   overtakes the event that prompted it (virtual time: the wait costs nothing).

The comparison of what came back with the recording is in :mod:`tests.emulator.comparison`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from emulator import Emulator
from tests.emulator.comparison import compare as compare  # re-exported for the test module
from tests.emulator.comparison import is_noise
from tests.emulator.file_answers import emulated_view, is_file_answer, recorded_view
from tests.traces import trace_path

CAUSAL_WAIT_S = 2.0

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
    lines = trace_path(name).read_text().splitlines()
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
    file: bool = False  # a file answer: the bodies are views (tests.emulator.file_answers)


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
            elif entry.dir == "ws_request":
                plan.add(entry.t, entry.index, self._ws_request_action(entry, key_events))
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
                headers=self._auth | (raw.get("headers") or {}),
            ) as answer:
                data = await answer.read()
            if is_file_answer(response):
                self.exchanges.append(
                    Exchange(
                        raw["method"],
                        str(raw["path"]),
                        int(response["status"]),
                        recorded_view(response),
                        answer.status,
                        emulated_view(raw["method"], answer.headers, data),
                        file=True,
                    )
                )
                return
            body = json.loads(data) if data else None
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

    def _ws_request_action(self, entry: Entry, key_events_before: int) -> Action:
        """A REST request sent on the (last opened) events WebSocket; its answer is a
        ``RESTResponse`` event, compared with the other events."""

        async def send() -> None:
            await self._wait_for_events(key_events_before, entry.t + CAUSAL_WAIT_S)
            await self._sockets[-1].send_str(json.dumps(self.ids.apply(entry.raw["message"])))

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
