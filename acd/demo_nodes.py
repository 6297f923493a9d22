"""``acd demo --nodes N --redis URL``: N engine nodes sharing one agent pool in Redis.

Each node is a whole engine (``running_engine``) with its own emulated Asterisk and its own
SQLite file, all on one event loop (virtual time by default).  Every agent's endpoint exists on
every emulator, as a SIP proxy in front of several Asterisk servers makes it in a deployment
(docs/architecture.md, "Several nodes").  Agents log in through the nodes' HTTP APIs in turn;
callers are spread over the emulators at random, as the proxy would spread them.

What it checks, besides the usual counts:

- ``double_offers``: an agent's endpoint originated while it already has a live call leg on
  any emulator (:class:`LiveLegs`, told by every emulator of each outgoing leg);
- ``lost``: inbound contacts that entered a node and never got an outcome, once the calls in
  progress have had time to finish.
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from redis.asyncio import Redis

from acd.app import running_engine
from acd.demo_figures import sla_figures
from acd.demo_people import DRAIN_S, SimulatedAgents, demo_token, place_call
from acd.desk_forwarding import DESK_LINK
from acd.running import RunningEngine
from acd.settings import Settings, load_settings
from acd.simulation import CallerGenerator, demo_agent_behaviour, pbx_config_from_settings
from emulator import Emulator, run_emulator
from emulator.model import Channel
from foundation.clock import Clock, VirtualTimeLoop, hold_clock
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    Presence,
)

log = logging.getLogger(__name__)

SAMPLE_S = 10.0  # how often the agents' occupancy is sampled
SETTLE_S = 5.0  # after the last contact ended, before the legs are counted


class LiveLegs:
    """The agents' live call legs over every emulator: an agent endpoint originated while it
    already has one is a double offer."""

    def __init__(self, agent_endpoints: set[str]) -> None:
        self._agents = agent_endpoints
        self._live: dict[str, set[str]] = {}
        self.double_offers = 0
        self.offers = 0

    def watch(self, node: str, emu: Emulator) -> None:
        def changed(what: str, chan: Channel) -> None:
            endpoint = chan.endpoint_key
            if endpoint not in self._agents:
                return
            live = self._live.setdefault(endpoint, set())
            leg = f"{node}/{chan.id}"
            if what == "originated":
                self.offers += 1
                if live:
                    self.double_offers += 1
                    log.error("double offer: %s rung on %s while it has %s", endpoint, node, live)
                live.add(leg)
            else:
                live.discard(leg)

        emu.pbx.leg_watchers.append(changed)

    def live(self) -> int:
        return sum(len(legs) for legs in self._live.values())

    def orphans(self, in_progress: dict[str, set[str]]) -> list[str]:
        """Live agent legs whose contact their node no longer has (``in_progress``: node ->
        its contacts; a callback the dialer placed after the last caller is one of them)."""
        found = []
        for legs in self._live.values():
            for leg in legs:
                node, channel = leg.split("/", 1)
                if channel.rsplit(".", 1)[-1] not in in_progress.get(node, set()):
                    found.append(leg)
        return sorted(found)


@dataclass
class NodeTally:
    """A contact-event sink per node: which inbound contacts entered and which ended."""

    entered: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)
    missed_agents: list[str] = field(default_factory=list)
    answered_by: Counter[str] = field(default_factory=Counter)  # agent -> calls answered here
    # Told of each agent this node put in wrap-up (the agent then registers the call).
    on_wrap_up: Callable[[str], None] | None = None

    def contact_event(self, event: ContactEvent) -> None:
        record = event.contact
        if record.kind is ContactKind.CALLBACK:
            return
        self.entered.add(record.id)
        if event.kind is ContactEventKind.ANSWERED and record.agent_id is not None:
            self.answered_by[record.agent_id] += 1
        if record.ended_at is not None:
            self.ended.add(record.id)

    def agent_event(self, event: AgentEvent) -> None:
        # This node's own move to "missed" (every node sees the others' as remote changes).
        missed = event.reason == "missed" and event.previous_presence is Presence.AVAILABLE
        if missed and not event.remote:
            self.missed_agents.append(event.agent_id)
        began = event.activity is Activity.WRAP_UP is not event.previous_activity
        if began and not event.remote and self.on_wrap_up is not None:  # a call of this node
            self.on_wrap_up(event.agent_id)


@dataclass(frozen=True)
class NodesOptions:
    redis_url: str | None  # None: one node without Redis (the benchmark's baseline)
    nodes: int = 2
    minutes: float = 60.0
    calls_per_hour: float = 190.0  # 12 agents busy most of the time
    seed: int = 1700
    realtime: bool = False
    start: datetime = datetime(2027, 3, 30, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    key_prefix: str | None = None  # default: a fresh one, deleted afterwards


@dataclass
class _Node:
    name: str
    emu: Emulator
    engine: RunningEngine
    tally: NodeTally
    session: aiohttp.ClientSession


class NodesDemo:
    def __init__(self, config_dir: Path, options: NodesOptions) -> None:
        self._config_dir = config_dir
        self._opts = options
        self._rng = random.Random(options.seed)
        self._agents = SimulatedAgents(self._rng)
        self._busy_samples: list[float] = []
        # One clock for every node: their hosts' clocks in step, as NTP keeps them.
        self._clock = Clock(wall_start=options.start)
        self._logged_in_at: dict[str, str] = {}  # agent -> the node it logged in through
        self._nodes: dict[str, _Node] = {}
        # The agents' registrations of their calls, each through the node they logged in
        # through: "here" (it holds the call) or "forwarded" (another node does), "refused",
        # "wrong_contact" (the close answered for another contact than the one shown),
        # "no_reasons" (a line code without contact reasons: nothing to close it with).
        self._registrations: Counter[str] = Counter()
        self._desk_rng = random.Random(options.seed + 1)  # the callers' draws stay the seed's
        self._registering: set[asyncio.Task[None]] = set()

    async def run(self, workdir: Path, prefix: str) -> dict[str, Any]:
        base = load_settings(self._config_dir)
        endpoints = {agent.endpoint for agent in base.agents}
        legs = LiveLegs(endpoints)
        async with AsyncExitStack() as stack:
            nodes = [
                await self._node(stack, base, workdir, prefix, i, legs)
                for i in range(self._opts.nodes)
            ]
            for node in nodes:
                await node.engine.stream.wait_connected(timeout_s=30)
                self._nodes[node.name] = node
                node.tally.on_wrap_up = partial(self._register_later, node.name)
            await self._log_in(base, nodes)
            await self._traffic(base, nodes)
            await asyncio.sleep(SETTLE_S)  # hang-ups sent with the last calls' ends go out
            summary = self._summary(nodes, legs)
            self._agents.cancel()
            for task in list(self._registering):
                task.cancel()
        return summary

    async def _node(
        self,
        stack: AsyncExitStack,
        base: Settings,
        workdir: Path,
        prefix: str,
        index: int,
        legs: LiveLegs,
    ) -> _Node:
        name = f"node-{index + 1}"
        pbx = pbx_config_from_settings(
            base, default=demo_agent_behaviour(), seed=self._opts.seed + index
        )
        emu = await stack.enter_async_context(run_emulator(config=pbx))
        legs.watch(name, emu)
        storage = f"sqlite+aiosqlite:///{workdir / f'{name}.sqlite3'}"
        overrides = {
            "ari.url": emu.url,
            "storage.url": storage,
            "http.listen": "127.0.0.1:0",
            "engine.callback_dial": "PJSIP/cb{digits}",
        }
        if self._opts.redis_url is not None:
            overrides |= {
                "redis.url": self._opts.redis_url,
                "redis.node_id": name,
                "redis.key_prefix": prefix,
            }
        settings = load_settings(self._config_dir, overrides=overrides)
        tally = NodeTally()
        token = await stack.enter_async_context(demo_token(storage, self._opts.start))
        engine = await stack.enter_async_context(
            running_engine(settings, clock=self._clock, extra_sinks=[tally])
        )
        session = await stack.enter_async_context(
            aiohttp.ClientSession(
                base_url=engine.http_url or "", headers={"Authorization": f"Bearer {token}"}
            )
        )
        return _Node(name, emu, engine, tally, session)

    async def _log_in(self, settings: Settings, nodes: list[_Node]) -> None:
        """Agents log in through the nodes in turn: each may then be offered by any node."""
        for i, agent in enumerate(settings.agents):
            node = nodes[i % len(nodes)]
            async with node.session.post(f"/api/agents/{agent.id}/login") as resp:
                resp.raise_for_status()
            self._logged_in_at[agent.id] = node.name

    def _agent_back_later(self, node: _Node, agent_id: str) -> None:
        """An agent who missed a call sets themself available again a while later, through
        any node's API (the change reaches the others through the pool)."""
        self._agents.back_later(lambda: node.session, agent_id)

    def _register_later(self, holder: str, agent_id: str) -> None:
        """A few seconds into the wrap-up the agent registers the call from their page: the
        contact, then "close contact" with the line code's first reason, both through the
        node they logged in through (forwarded to ``holder`` when that is another)."""
        node = self._nodes[self._logged_in_at[agent_id]]
        path = f"/api/agents/{agent_id}/contact"

        async def later() -> None:
            await asyncio.sleep(self._desk_rng.uniform(1.0, 5.0))
            async with node.session.get(path) as resp:
                shown = await resp.json()
            if resp.status != 200 or shown["state"] != "wrap_up":
                self._registrations["refused"] += 1
                log.warning("agent %s's contact: %s %s", agent_id, resp.status, shown)
                return
            if not shown["contact_reasons"]:  # its line code has none: cannot be closed
                self._registrations["no_reasons"] += 1
                return
            body = {"note": "demo", "reason": shown["contact_reasons"][0], "links": []}
            async with node.session.post(path + "/close", json=body) as resp:
                closed = await resp.json()
            if resp.status != 200:
                self._registrations["refused"] += 1
                log.warning("agent %s's close: %s %s", agent_id, resp.status, closed)
            elif closed["contact_id"] != shown["contact_id"]:
                self._registrations["wrong_contact"] += 1
            else:
                self._registrations["here" if node.name == holder else "forwarded"] += 1

        task = asyncio.get_running_loop().create_task(later())
        self._registering.add(task)
        task.add_done_callback(self._registering.discard)

    async def _traffic(self, settings: Settings, nodes: list[_Node]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + self._opts.minutes * 60.0
        callers = CallerGenerator(settings, self._opts.calls_per_hour, self._rng)
        next_call = start + callers.next_gap_s()
        next_sample = start + SAMPLE_S
        seen_missed = [0] * len(nodes)
        while True:
            now = loop.time()
            if now >= end and not any(n.engine.runtime.view.contacts for n in nodes):
                break
            if now >= end + DRAIN_S:
                break
            wake = min(next_call if next_call < end else end + DRAIN_S, next_sample)
            await asyncio.sleep(max(0.0, wake - loop.time()))
            for i, node in enumerate(nodes):
                for agent_id in node.tally.missed_agents[seen_missed[i] :]:
                    self._agent_back_later(self._rng.choice(nodes), agent_id)
                seen_missed[i] = len(node.tally.missed_agents)
            if loop.time() >= next_sample:
                next_sample += SAMPLE_S
                if loop.time() < end:
                    self._sample(nodes[0])
            if next_call < end and loop.time() >= next_call:
                call = callers.next_call()
                node = self._rng.choice(nodes)  # the SIP proxy spreads the callers
                place_call(node.emu, *call)
                next_call += callers.next_gap_s()

    def _sample(self, node: _Node) -> None:
        """The share of logged-in agents busy (not idle) now, from a node's replica of the
        pool (every node holds the whole pool)."""
        everyone = node.engine.core.agents.values()
        agents = [a for a in everyone if a.presence is not Presence.LOGGED_OUT]
        if agents:
            busy = sum(a.activity is not Activity.IDLE for a in agents)
            self._busy_samples.append(busy / len(agents))

    def _summary(self, nodes: list[_Node], legs: LiveLegs) -> dict[str, Any]:
        totals: Counter[str] = Counter()
        per_node: dict[str, Any] = {}
        for node in nodes:
            figures = sla_figures(node.engine.metrics.render().decode())
            for key in ("offered", "answered", "abandoned", "still_waiting"):
                totals[key] += figures[key]
            pool = node.engine.pool
            reservations = node.engine.core.reservations
            per_node[node.name] = {
                "offered": figures["offered"],
                "answered": figures["answered"],
                "abandoned": figures["abandoned"],
                "average_speed_of_answer_s": figures["average_speed_of_answer_s"],
                "entered": len(node.tally.entered),
                "lost": len(node.tally.entered - node.tally.ended),
                "pool_changes_applied": pool.applied if pool is not None else 0,
                "reservation_races_lost": getattr(reservations, "lost_races", 0),
                "reservation_calls": getattr(reservations, "calls", 0),
                "reservation_blocked_s": round(getattr(reservations, "blocked_s", 0.0), 4),
                # Desk requests other nodes forwarded here (their agents on this node's calls).
                "desk_requests_answered": _desk_answered(node.engine),
                # Calls answered here by agents who logged in through another node.
                "answered_by_agents_of_other_nodes": sum(
                    n
                    for agent, n in node.tally.answered_by.items()
                    if self._logged_in_at.get(agent) != node.name
                ),
            }
        samples = self._busy_samples
        return {
            "nodes": len(nodes),
            "offered": totals["offered"],
            "answered": totals["answered"],
            "abandoned": totals["abandoned"],
            "still_waiting": totals["still_waiting"],
            "double_offers": legs.double_offers,
            "agent_legs_originated": legs.offers,
            "agent_legs_live_at_end": legs.live(),
            # Agent legs alive whose contact ended: a leg the engine forgot to hang up.
            "orphan_agent_legs": len(
                legs.orphans({n.name: set(n.engine.core.contacts) for n in nodes})
            ),
            "lost": sum(n["lost"] for n in per_node.values()),
            "agent_occupancy": round(sum(samples) / len(samples), 3) if samples else None,
            "registrations": {
                key: self._registrations[key]
                for key in ("here", "forwarded", "refused", "wrong_contact", "no_reasons")
            },
            "per_node": per_node,
        }


def _desk_answered(engine: RunningEngine) -> int:
    app = engine.api_app
    return app[DESK_LINK].answered if app is not None and DESK_LINK in app else 0


def run_nodes_demo(config_dir: Path, options: NodesOptions) -> dict[str, Any]:
    """Run the demo to the end and return its summary (the tests use it too); the key prefix
    it made in Redis is deleted afterwards."""
    prefix = options.key_prefix or "{demo-" + uuid.uuid4().hex[:12] + "}:"
    demo = NodesDemo(config_dir, options)
    real_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="acd-nodes-") as tmp:
        factory = asyncio.new_event_loop if options.realtime else VirtualTimeLoop
        with asyncio.Runner(loop_factory=factory) as runner:
            try:
                summary = runner.run(demo.run(Path(tmp), prefix))
            finally:
                if options.redis_url is not None:
                    runner.run(_drop_prefix(options.redis_url, prefix))
    summary["simulated_minutes"] = options.minutes
    summary["calls_per_hour"] = options.calls_per_hour
    summary["real_seconds"] = round(time.perf_counter() - real_start, 2)
    return summary


@asynccontextmanager
async def _redis(url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def _drop_prefix(url: str, prefix: str) -> None:
    pattern = prefix.replace("[", "\\[").replace("]", "\\]").replace("*", "\\*") + "*"
    async with _redis(url) as client:
        with hold_clock():
            keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
            if keys:
                await client.delete(*keys)
