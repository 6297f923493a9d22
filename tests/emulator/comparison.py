"""Compare a replayed flow (:mod:`tests.emulator.replay`) with its recording.

:func:`compare` checks, ids and timestamps aside:

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
event.  The relative order of ``ChannelStateChange Ringing`` and ``Dial RINGING`` varies in the
recordings themselves (and with it the peer's state in that ``Dial``), so neither is compared.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.emulator.replay import Exchange, IdMap, Observed, ReplayResult

TIME_TOLERANCE_S = 0.15
NOISE_VARIABLES = ("BRIDGEPEER", "BRIDGEPVTCALLID", "RTPAUDIOQOS")


def is_noise(event: dict[str, Any]) -> bool:
    return event.get("type") == "ChannelVarset" and str(event.get("variable", "")).startswith(
        NOISE_VARIABLES
    )


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
    return dataclasses.replace(observed, event=ids.apply(observed.event))


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
    if out.get("type") == "RESTResponse" and isinstance(out.get("message_body"), str):
        # The body of a REST answer over the WebSocket is JSON in a string: compared decoded,
        # as an HTTP answer's body is.
        out["message_body"] = _body_view(
            str(out.get("uri", "")), json.loads(out["message_body"]), known
        )
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
        if x.file:
            if x.body != x.recorded_body:
                problems.append(
                    f"{where}: file answer\n    got      {x.body}\n    recorded {x.recorded_body}"
                )
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
    if "/play" in path and isinstance(view, dict) and view.get("state") in ("queued", "playing"):
        # The playback starts on the channel's thread: the response says "queued", or
        # "playing" when that thread was quicker (said_add_channel.jsonl, pb-files).
        view["state"] = "queued|playing"
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
