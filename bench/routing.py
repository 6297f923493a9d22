"""Routing core benchmarks: decisions per second and latency, memory per waiting contact, and
the cost of an agent state change at app_queue's breaking scale, each against brute force.

Run from the repository root::

    .venv/bin/python -m bench.routing            # the full grid (a few minutes)
    .venv/bin/python -m bench.routing --quick    # a smaller run, to check it works
    .venv/bin/python -m bench.routing --json out.json

One *operation* is one engine event applied to the router followed by ``match(now)``, timed
with ``time.perf_counter_ns``; it is a *decision* when ``match`` made an offer.  Figures are
for one core (the benchmark is single-threaded).  Results are described in
docs/performance.md, "Routing core".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as "python bench/routing.py"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import (
    Event,
    Shape,
    Stream,
    agent_skills,
    line_code_names,
    routing_config,
    stats_for,
)
from skills.model import Match
from skills.reference import BruteForceRouter
from skills.router import Router

AnyRouter = Router | BruteForceRouter
# Python's collector pauses whichever operation crosses its allocation threshold: with the
# default (700) that is about one operation in a hundred, right at the p99.  A service can
# move long-lived objects out of its reach (gc.freeze) and collect less often; --gc-tuned
# measures that, the default measures Python as it comes.
GC_TUNED = False
TUNED_THRESHOLDS = (50_000, 20, 100)
RouterClass = Callable[..., AnyRouter]

# ---------------------------------------------------------------------- statistics


def percentile(sorted_ns: list[int], fraction: float) -> float:
    """Nearest-rank percentile of sorted nanoseconds, in microseconds."""
    if not sorted_ns:
        return float("nan")
    index = min(len(sorted_ns) - 1, max(0, round(fraction * len(sorted_ns)) - 1))
    return sorted_ns[index] / 1000


@dataclass(frozen=True)
class Sample:
    """One timed operation: an event applied, then match()."""

    kind: str  # "arrive", "free", "abandon", "step" (the step timer fired)
    ns: int  # wall time, perf_counter_ns
    cpu_ns: int  # this thread's CPU time: not inflated when another process preempts us
    decided: bool  # match() made at least one offer


@dataclass
class Timing:
    ops: int
    decisions: int
    total_s: float
    op_p50_us: float
    op_p99_us: float
    decision_p50_us: float
    decision_p99_us: float
    decision_p99_cpu_us: float

    @property
    def decisions_per_s(self) -> float:
        return self.decisions / self.total_s if self.total_s else 0.0

    @classmethod
    def of(cls, samples: list[Sample]) -> Timing:
        ops = sorted(s.ns for s in samples)
        decisions = sorted(s.ns for s in samples if s.decided)
        decisions_cpu = sorted(s.cpu_ns for s in samples if s.decided)
        return cls(
            ops=len(ops),
            decisions=len(decisions),
            total_s=sum(ops) / 1e9,
            op_p50_us=percentile(ops, 0.50),
            op_p99_us=percentile(ops, 0.99),
            decision_p50_us=percentile(decisions, 0.50),
            decision_p99_us=percentile(decisions, 0.99),
            decision_p99_cpu_us=percentile(decisions_cpu, 0.99),
        )


# ---------------------------------------------------------------------- the steady state


class Simulation:
    """One router under a steady-state workload; the same seed gives the same events."""

    def __init__(self, cls: RouterClass, shape: Shape, seed: int = 1) -> None:
        self.shape = shape
        self.rng = random.Random(seed)
        self.router = cls(routing_config(line_code_names(shape.line_codes)))
        skills = agent_skills(shape, self.rng)
        for agent, agent_skill in skills.items():
            self.router.set_agent(agent, agent_skill)
            self.router.set_logged_in(agent, True)
        self.stream = Stream(shape, self.rng, busy=list(skills))
        # Contacts wait about 100 s at equilibrium: long enough to cross the 30 s and 90 s
        # steps, so step expiries are part of what is measured.
        self.dt = 50.0 / shape.contacts
        self.now = 0.0
        self.offers = 0
        self.log: list[list[tuple[str, str]]] = []

    def fill_queue(self) -> None:
        """Start with a full queue, contacts having waited 0..120 s (all agents busy)."""
        for _ in range(self.shape.contacts):
            event = self.stream.arrival()
            waited = self.rng.uniform(0, 120)
            self.router.add_contact(
                event.subject,
                event.line_code,
                self.now,
                priority=event.priority,
                waiting_since=self.now - waited,
            )
            self.stream.waiting[event.subject] = None
        self.router.match(self.now)

    def prepare(self, event: Event) -> Callable[[], None]:
        """The router call for ``event``, built before the clock starts (the engine has its
        stats at hand; drawing random ones is the benchmark's cost, not the router's)."""
        router, now = self.router, self.now
        if event.kind == "arrive":
            self.stream.waiting[event.subject] = None
            return partial(
                router.add_contact, event.subject, event.line_code, now, priority=event.priority
            )
        if event.kind == "abandon":
            del self.stream.waiting[event.subject]
            return partial(router.remove_contact, event.subject)
        stats = stats_for(event.subject, now, self.rng, self.offers)
        return partial(router.agent_free, event.subject, now, stats)

    def settle(self, matches: list[Match]) -> None:
        """Every offer is answered at once: the contact leaves, the agent stays busy."""
        for match in matches:
            self.offers += 1
            self.router.remove_contact(match.contact_id)
            del self.stream.waiting[match.contact_id]
            self.stream.busy.append(match.agent_id)

    def run(self, ops: int, *, budget_s: float = float("inf")) -> list[Sample]:
        """Apply ``ops`` operations, each timed: an event or the step timer, then match().

        Like the engine, the simulation keeps one timer at ``next_deadline()`` and calls
        ``match`` when it fires (a "step" operation); asking for the next deadline after each
        match is part of every operation, as the engine does it after every event."""
        samples: list[Sample] = []
        clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
        give_up = time.monotonic() + budget_s
        router = self.router
        timer = router.next_deadline()
        for _ in range(ops):
            event = None
            if timer is not None and timer <= self.now + self.dt:
                self.now = max(self.now, timer)
            else:
                self.now += self.dt
                event = self.stream.next_event()
            call = self.prepare(event) if event is not None else None
            cpu_start = cpu_clock()
            start = clock()
            if call is not None:
                call()
            matches = router.match(self.now)
            timer = router.next_deadline()
            elapsed = clock() - start
            cpu = cpu_clock() - cpu_start
            kind = event.kind if event else "step"
            samples.append(Sample(kind, elapsed, cpu, bool(matches)))
            self.log.append([(m.contact_id, m.agent_id) for m in matches])
            self.settle(matches)
            if matches:
                timer = router.next_deadline()  # answered contacts took their steps along
            if time.monotonic() > give_up:
                break
        return samples


def replay_brute_force(
    shape: Shape, indexed: Simulation, ops: int, budget_s: float
) -> list[Sample]:
    """The same events from the same seed on the brute force, for as long as the budget
    allows; its decisions must be the router's."""
    brute = Simulation(BruteForceRouter, shape)
    brute.fill_queue()
    samples = brute.run(ops, budget_s=budget_s)
    if brute.log != indexed.log[: len(brute.log)]:
        raise AssertionError(f"{shape.label}: brute force decided otherwise than the router")
    return samples


@dataclass
class GridResult:
    shape: str
    router: Timing
    brute: Timing
    brute_ops: int  # the brute force ran the first brute_ops operations only (time budget)
    speedup: float  # brute force time / router time, over those same first operations


def measured(shape: Shape, ops: int, repeats: int) -> tuple[Simulation, list[Sample]]:
    """Run the router ``repeats`` times from the same seed; keep the run with the median
    decision p99, so one burst of noise from other processes does not decide the figure."""
    runs = []
    for _ in range(repeats):
        gc.collect()
        sim = Simulation(Router, shape)
        sim.fill_queue()
        if GC_TUNED:
            gc.collect()
            gc.freeze()
        runs.append((sim, sim.run(ops)))
        gc.unfreeze()
    runs.sort(key=lambda run: Timing.of(run[1]).decision_p99_us)
    return runs[len(runs) // 2]


def ratio(slow: list[Sample], fast: list[Sample]) -> float:
    """How many times more time ``slow`` took than ``fast`` over the same operations."""
    fast_ns = sum(s.ns for s in fast[: len(slow)])
    return sum(s.ns for s in slow) / fast_ns if fast_ns else float("nan")


def grid_cell(plan: Plan, shape: Shape) -> GridResult:
    indexed, samples = measured(shape, plan.ops, plan.repeats)
    brute = replay_brute_force(shape, indexed, plan.brute_ops, plan.brute_budget_s)
    return GridResult(
        shape.label, Timing.of(samples), Timing.of(brute), len(brute), ratio(brute, samples)
    )


# ---------------------------------------------------------------------- memory


@dataclass
class MemoryResult:
    shape: str
    router_bytes_per_contact: float
    brute_bytes_per_contact: float


def memory_per_contact(shape: Shape) -> MemoryResult:
    """Bytes the router allocates per waiting contact (ids are the engine's, not counted)."""
    per_contact = []
    for cls in (Router, BruteForceRouter):
        sim = Simulation(cls, shape)
        events = [sim.stream.arrival() for _ in range(shape.contacts)]
        waits = [sim.rng.uniform(0, 120) for _ in events]
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for event, waited in zip(events, waits, strict=True):
            sim.router.add_contact(
                event.subject, event.line_code, 0.0, priority=event.priority, waiting_since=-waited
            )
        sim.router.match(0.0)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        per_contact.append((after - before) / shape.contacts)
    return MemoryResult(shape.label, *per_contact)


# ---------------------------------------------------------------------- agent state changes


@dataclass
class StateChangeResult:
    shape: str
    memberships: int
    free_p50_us: float
    free_p99_us: float
    busy_p50_us: float
    busy_p99_us: float
    presence_p50_us: float
    presence_p99_us: float
    # "agent is free" followed by match(): the whole reaction, which may offer a contact
    reaction: Timing
    brute_reaction: Timing
    brute_ops: int
    speedup: float  # over the same "free" operations


Change = tuple[Callable[[], object], bool]  # (the call, True when it turns something on)


def _timed(changes: Iterator[Change]) -> tuple[list[int], list[int]]:
    on: list[int] = []
    off: list[int] = []
    clock = time.perf_counter_ns
    for change, turning_on in changes:
        start = clock()
        change()
        (on if turning_on else off).append(clock() - start)
    return sorted(on), sorted(off)


def _free_or_busy(sim: Simulation, agents: list[str], ops: int) -> Iterator[Change]:
    router, rng = sim.router, random.Random(7)
    free: set[str] = set()
    for _ in range(ops):
        agent = rng.choice(agents)
        if agent in free:
            free.discard(agent)
            yield partial(router.agent_busy, agent), False
        else:
            free.add(agent)
            stats = stats_for(agent, sim.now, rng, 0)
            yield partial(router.agent_free, agent, sim.now, stats), True
    for agent in free:
        router.agent_busy(agent)


def _log_in_or_out(sim: Simulation, agents: list[str], ops: int) -> Iterator[Change]:
    router, rng = sim.router, random.Random(8)
    logged_out: set[str] = set()
    for _ in range(ops):
        agent = rng.choice(agents)
        turning_on = agent in logged_out
        if turning_on:
            logged_out.discard(agent)
        else:
            logged_out.add(agent)
        yield partial(router.set_logged_in, agent, turning_on), turning_on
    for agent in logged_out:
        router.set_logged_in(agent, True)


def state_changes(plan: Plan, shape: Shape) -> StateChangeResult:
    """app_queue's breaking scale: an agent's state change must cost the same whatever the
    number of line codes and memberships.  ``shape.contacts`` contacts wait meanwhile."""
    sim = Simulation(Router, shape)
    sim.fill_queue()
    agents = list(agent_skills(shape, random.Random(1)))
    frees, busies = _timed(_free_or_busy(sim, agents, plan.ops))
    logins, logouts = _timed(_log_in_or_out(sim, agents, plan.ops // 4))
    presence = sorted(logins + logouts)

    reacting, samples = measured(shape, plan.ops, plan.repeats)
    replayed = replay_brute_force(shape, reacting, plan.brute_ops, plan.brute_budget_s)
    reaction = [s for s in samples if s.kind == "free"]
    brute = [s for s in replayed if s.kind == "free"]
    same_ops = [s for s in samples[: len(replayed)] if s.kind == "free"]
    return StateChangeResult(
        shape=f"{shape.agents} agents x {shape.line_codes} line codes",
        memberships=shape.agents * shape.skills_per_agent,
        free_p50_us=percentile(frees, 0.5),
        free_p99_us=percentile(frees, 0.99),
        busy_p50_us=percentile(busies, 0.5),
        busy_p99_us=percentile(busies, 0.99),
        presence_p50_us=percentile(presence, 0.5),
        presence_p99_us=percentile(presence, 0.99),
        reaction=Timing.of(reaction),
        brute_reaction=Timing.of(brute),
        brute_ops=len(brute),
        speedup=ratio(brute, same_ops),
    )


# ---------------------------------------------------------------------- running and reporting


@dataclass(frozen=True)
class Plan:
    contacts: tuple[int, ...]
    agents: tuple[int, ...]
    line_codes: tuple[int, ...]
    ops: int
    repeats: int
    brute_ops: int
    brute_budget_s: float
    state_change_shapes: tuple[Shape, ...]
    memory_shapes: tuple[Shape, ...]


def skills_per_agent(line_codes: int) -> int:
    return 3 if line_codes <= 10 else 5


FULL = Plan(
    contacts=(100, 1_000, 10_000),
    agents=(50, 500, 5_000),
    line_codes=(10, 200),
    ops=20_000,
    repeats=3,
    brute_ops=2_000,
    brute_budget_s=4.0,
    state_change_shapes=(
        Shape(1_000, 1_500, 500, 5),
        Shape(1_000, 15_000, 5_000, 5),  # asterisk/asterisk#1214, #1972: 75,000 memberships
    ),
    memory_shapes=(Shape(10_000, 5_000, 200, 5), Shape(1_000, 500, 10, 3)),
)
QUICK = Plan(
    contacts=(100, 1_000),
    agents=(50, 500),
    line_codes=(10, 200),
    ops=3_000,
    repeats=1,
    brute_ops=300,
    brute_budget_s=0.5,
    state_change_shapes=(Shape(1_000, 15_000, 5_000, 5),),
    memory_shapes=(Shape(1_000, 500, 200, 5),),
)


def machine() -> dict[str, str]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        # Other processes on the machine show up in wall-clock p99s: say how busy it was.
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run(plan: Plan, out: Callable[[str], None]) -> dict[str, object]:
    info = machine()
    out(f"machine: {info['cpu']}, {info['nproc']} CPUs, Python {info['python']}")
    out(f"load average before: {info['load_average']}")
    out(f"garbage collector: {'tuned' if GC_TUNED else 'Python defaults'} {gc.get_threshold()}")
    out("")
    out(
        "| contacts x agents x line codes | decisions/s | decision p50 | decision p99 "
        "| decision p99 (CPU) | op p99 | brute p50 | brute p99 | speed-up | brute ops |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    grid = []
    for line_codes in plan.line_codes:
        for agents in plan.agents:
            for contacts in plan.contacts:
                shape = Shape(contacts, agents, line_codes, skills_per_agent(line_codes))
                cell = grid_cell(plan, shape)
                grid.append(cell)
                r, b = cell.router, cell.brute
                out(
                    f"| {cell.shape} | {r.decisions_per_s:,.0f} | {r.decision_p50_us:.1f} us "
                    f"| {r.decision_p99_us:.1f} us | {r.decision_p99_cpu_us:.1f} us "
                    f"| {r.op_p99_us:.1f} us "
                    f"| {b.op_p50_us:,.0f} us | {b.op_p99_us:,.0f} us | {cell.speedup:,.0f}x "
                    f"| {cell.brute_ops} |"
                )
    out("")
    out("| memory: contacts x agents x line codes | router bytes/contact | brute bytes/contact |")
    out("|---|---:|---:|")
    memory = []
    for shape in plan.memory_shapes:
        result = memory_per_contact(shape)
        memory.append(result)
        out(
            f"| {result.shape} | {result.router_bytes_per_contact:,.0f} "
            f"| {result.brute_bytes_per_contact:,.0f} |"
        )
    out("")
    out(
        "| agents x line codes (memberships, waiting) | agent_free p50/p99 | agent_busy p50/p99 "
        "| log in/out p50/p99 | free+match p50/p99 | brute free+match p50/p99 | speed-up |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|")
    changes = []
    for shape in plan.state_change_shapes:
        sc = state_changes(plan, shape)
        changes.append(sc)
        out(
            f"| {sc.shape} ({sc.memberships:,}, {shape.contacts:,}) "
            f"| {sc.free_p50_us:.1f} / {sc.free_p99_us:.1f} us "
            f"| {sc.busy_p50_us:.1f} / {sc.busy_p99_us:.1f} us "
            f"| {sc.presence_p50_us:.1f} / {sc.presence_p99_us:.1f} us "
            f"| {sc.reaction.op_p50_us:.1f} / {sc.reaction.op_p99_us:.1f} us "
            f"| {sc.brute_reaction.op_p50_us:,.0f} / {sc.brute_reaction.op_p99_us:,.0f} us "
            f"| {sc.speedup:,.0f}x |"
        )
    info["load_average_after"] = machine()["load_average"]
    out(f"load average after: {info['load_average_after']}")
    return {
        "machine": info,
        "grid": [asdict(c) for c in grid],
        "memory": [asdict(m) for m in memory],
        "state_changes": [asdict(c) for c in changes],
    }


def main(argv: list[str] | None = None) -> int:
    global GC_TUNED
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small grid, in seconds")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--gc-tuned",
        action="store_true",
        help="as a latency-minded service would run: gc.freeze() after start-up and "
        f"gc.set_threshold{TUNED_THRESHOLDS} (default: Python's own GC settings)",
    )
    args = parser.parse_args(argv)
    if args.gc_tuned:
        GC_TUNED = True
        gc.set_threshold(*TUNED_THRESHOLDS)
    results = run(QUICK if args.quick else FULL, lambda line: print(line, flush=True))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
