"""The arithmetic of bench/realpbx_e2e.py, kept pure so that tests/bench can check it.

- :class:`BridgeWatch` reads the ARI events an observer application subscribed to everything
  receives (``ChannelStateChange`` and ``ChannelEnteredBridge`` are enough) and tells which
  callers shared a bridge with an agent, and per agent leg how long after its answer
  (``state: Up``) the caller and it were first in one bridge.  It works the same for the
  engine's calls and for app_queue's, so the two are measured with one ruler.
- :func:`per_call`, :func:`percentile` and :func:`scenario_figures` turn the counts read before
  and after a scenario into the figures docs/performance.md shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CALLER_PREFIX = "PJSIP/caller-"
AGENT_PREFIX = "PJSIP/agent"


def event_ms(timestamp: str) -> int:
    """Asterisk's event time (``2026-11-22T23:34:12.042+0000``, millisecond resolution) in
    milliseconds since the epoch (whole: differences are exact)."""
    return round(datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


@dataclass
class BridgeWatch:
    """Callers that reached an agent, and agent-answered -> bridged latencies, from events."""

    names: dict[str, str] = field(default_factory=dict)  # channel id -> channel name
    answered: dict[str, int] = field(default_factory=dict)  # agent leg -> ms when it went Up
    bridged: dict[str, int] = field(default_factory=dict)  # agent leg -> first with a caller
    reached: set[str] = field(default_factory=set)  # caller channel ids

    def feed(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        channel = event.get("channel") or {}
        channel_id, name = str(channel.get("id", "")), str(channel.get("name", ""))
        if channel_id:
            self.names[channel_id] = name
        if kind == "ChannelStateChange" and channel.get("state") == "Up":
            if name.startswith(AGENT_PREFIX):
                self.answered.setdefault(channel_id, event_ms(event["timestamp"]))
        elif kind == "ChannelEnteredBridge":
            members = (event.get("bridge") or {}).get("channels") or []
            named = [(m, self.names.get(m, "")) for m in members]
            callers = [m for m, n in named if n.startswith(CALLER_PREFIX)]
            agents = [m for m, n in named if n.startswith(AGENT_PREFIX)]
            if callers and agents:
                self.reached.update(callers)
                at = event_ms(event["timestamp"])
                for agent in agents:
                    self.bridged.setdefault(agent, at)

    def latencies_ms(self) -> list[float]:
        """Per agent leg both answered and bridged: bridged - answered, in ms (0 when the leg
        was in the caller's bridge before it answered: bridged the moment it answers)."""
        return [
            float(max(0, self.bridged[leg] - up))
            for leg, up in self.answered.items()
            if leg in self.bridged
        ]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of ``values``; None when empty."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile q must be in (0, 100], not {q}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def per_call(total: float, calls: int, digits: int = 1) -> float | None:
    """``total`` per offered call, rounded; None when no call was offered."""
    return round(total / calls, digits) if calls > 0 else None


@dataclass(frozen=True)
class Counts:
    """Cumulative counters read at a scenario's start and end."""

    engine_cpu_s: float = 0.0
    asterisk_cpu_s: float = 0.0
    rest_requests: int = 0
    events: int = 0
    event_bytes: int = 0

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.engine_cpu_s - other.engine_cpu_s,
            self.asterisk_cpu_s - other.asterisk_cpu_s,
            self.rest_requests - other.rest_requests,
            self.events - other.events,
            self.event_bytes - other.event_bytes,
        )


def cpu_seconds(proc_stat: str, ticks_per_s: int) -> float:
    """utime + stime (all threads) of a process from its ``/proc/<pid>/stat`` line."""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = proc_stat[proc_stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / ticks_per_s


def scenario_figures(
    offered: int, delta: Counts, watch: BridgeWatch, engine_side: bool
) -> dict[str, Any]:
    """One scenario's row: CPU per offered call, callers that reached an agent, the
    agent-answered -> bridged latency; for the engine also its ARI traffic per call."""
    latencies = watch.latencies_ms()
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    row: dict[str, Any] = {
        "offered": offered,
        "reached_agent": len(watch.reached),
        "asterisk_cpu_ms_per_call": per_call(delta.asterisk_cpu_s * 1000, offered),
        "bridged_ms_p50": None if p50 is None else round(p50, 1),
        "bridged_ms_p99": None if p99 is None else round(p99, 1),
    }
    if engine_side:
        row["engine_cpu_ms_per_call"] = per_call(delta.engine_cpu_s * 1000, offered)
        row["rest_requests_per_call"] = per_call(delta.rest_requests, offered)
        row["events_per_call"] = per_call(delta.events, offered)
        row["event_kb_per_call"] = per_call(delta.event_bytes / 1000, offered)
    return row
