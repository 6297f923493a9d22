"""Pieces of the recorded Asterisk 22 traces (tests/data/ari-traces) for the engine's tests:
the entries of one flow, how to find an event or a response in them, the callers and legs they
name, and flows cut or spliced from recorded pieces."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from tests.traces import read_trace, trace_names

TRACE_NAMES = trace_names()

Entry = dict[str, Any]


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
    i = find(
        entries, lambda e: e["dir"] == "request" and request_query(e).get("endpoint") == endpoint
    )
    return unquote(entries[i]["path"].rsplit("/", 1)[1])


def request_query(entry: Entry) -> dict[str, str]:
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
    start = find(
        entries, lambda e: e["dir"] == "request" and request_query(e).get("endpoint") == endpoint
    )
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
