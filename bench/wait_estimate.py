"""How far the announced wait is from the real one (docs/performance.md, "Wait-time estimate").

A pure discrete-event simulation of one line code: ``--agents`` agents, Poisson arrivals at the
rate that keeps them busy the given share of the time, first come first served, no engine and
no I/O.  Each contact gets the estimate of ``sla.wait_estimate`` at arrival, from what the
engine would know then (position, agents, rolling mean handle time and answer delay), and the
actual wait until an agent answered.  Printed per load level: the mean absolute error in
seconds and relative to the mean wait, over the contacts that had to queue (those served at
once are estimated and served within the ring time; counting them would add near-zero
errors and near-zero waits alike).

Handle times: ``exponential`` (mean 270 s, the textbook case) or ``realistic`` (talk lognormal,
mean 240 s and sd 190 s, plus the engine's fixed 30 s wrap-up).  Agents answer 2-6 s after the
ring starts.  ``--oracle`` adds the best any estimator could do here: the median of 300
simulated futures drawn from the true distributions and every busy agent's time in call (slow).

    .venv/bin/python bench/wait_estimate.py [--agents 10] [--contacts 200000] [--oracle]
"""

from __future__ import annotations

import argparse
import heapq
import math
import platform
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sla.wait_estimate import HandleTimes, estimate_wait

LINE_CODE = "1700 Andere Vragen"
LOADS = (0.50, 0.70, 0.85, 0.95)
TALK_MEAN_S, TALK_SD_S, WRAP_UP_S = 240.0, 190.0, 30.0
EXPONENTIAL_MEAN_S = TALK_MEAN_S + WRAP_UP_S
RING_S = (2.0, 6.0)
POSITION_BUCKETS = ((1, 1), (2, 4), (5, 9), (10, 10**9))
_NORMAL = NormalDist()


# ---------------------------------------------------------------------- handle times


@dataclass(frozen=True, slots=True)
class HandleModel:
    """Draws talk + wrap-up times, fresh or given the time already spent in the call."""

    name: str
    rng: random.Random

    @property
    def mean_s(self) -> float:
        return EXPONENTIAL_MEAN_S  # both models: 270 s of agent time per contact

    def fresh(self) -> float:
        if self.name == "exponential":
            return self.rng.expovariate(1.0 / EXPONENTIAL_MEAN_S)
        mu, sigma = _lognormal(TALK_MEAN_S, TALK_SD_S)
        return self.rng.lognormvariate(mu, sigma) + WRAP_UP_S

    def remaining(self, spent_s: float) -> float:
        """The rest of a call that has lasted ``spent_s`` (the oracle's view)."""
        if spent_s <= 0.0:  # still ringing
            return -spent_s + self.fresh()
        if self.name == "exponential":
            return self.fresh()  # memoryless
        if spent_s <= WRAP_UP_S:
            return self.fresh() - spent_s  # every talk time is longer than 0
        mu, sigma = _lognormal(TALK_MEAN_S, TALK_SD_S)
        floor = _NORMAL.cdf((math.log(spent_s - WRAP_UP_S) - mu) / sigma)
        u = min(floor + (1.0 - floor) * self.rng.random(), 1.0 - 1e-12)
        return WRAP_UP_S + math.exp(mu + sigma * _NORMAL.inv_cdf(u)) - spent_s


def _lognormal(mean: float, sd: float) -> tuple[float, float]:
    s2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - s2 / 2.0, math.sqrt(s2)


# ---------------------------------------------------------------------- the simulation


@dataclass(slots=True)
class Sample:
    position: int
    estimate_s: float
    actual_s: float = math.nan
    oracle_s: float = math.nan


@dataclass
class QueueSimulation:
    """One line code, ``agents`` agents, first come first served."""

    agents: int
    occupancy: float
    handle: HandleModel
    rng: random.Random
    oracle: Callable[[QueueSimulation, int], float] | None = None
    window: int = 100
    answer_delays: HandleTimes = field(default_factory=lambda: HandleTimes(default_s=4.0))
    now: float = 0.0
    busy_since: dict[int, tuple[float, float]] = field(default_factory=dict)  # agent -> ring, s
    free: list[int] = field(default_factory=list)
    queue: deque[int] = field(default_factory=deque)
    arrived: dict[int, float] = field(default_factory=dict)
    samples: dict[int, Sample] = field(default_factory=dict)
    _events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _seq: int = 0

    def __post_init__(self) -> None:
        self.free = list(range(self.agents))
        self.handle_times = HandleTimes(window=self.window)

    def run(self, contacts: int) -> dict[int, Sample]:
        rate = self.occupancy * self.agents / (self.handle.mean_s + sum(RING_S) / 2)
        self._at(self.rng.expovariate(rate), lambda: self._arrive(0, contacts, rate))
        while self._events:
            self.now, _, action = heapq.heappop(self._events)
            action()
        return self.samples

    def _at(self, when: float, action: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, action))

    def _arrive(self, contact: int, contacts: int, rate: float) -> None:
        if contact + 1 < contacts:
            self._at(
                self.now + self.rng.expovariate(rate),
                lambda: self._arrive(contact + 1, contacts, rate),
            )
        self.arrived[contact] = self.now
        if self.free:
            self._offer(contact, self.free.pop())
            return
        position = len(self.queue) + 1
        estimate = estimate_wait(
            position,
            self.agents,
            self.handle_times.mean(LINE_CODE),
            answer_delay_s=self.answer_delays.mean(LINE_CODE),
        )
        assert estimate is not None
        sample = Sample(position, estimate)
        if self.oracle is not None:
            sample.oracle_s = self.oracle(self, position)
        self.samples[contact] = sample
        self.queue.append(contact)

    def _offer(self, contact: int, agent: int) -> None:
        ring_s = self.rng.uniform(*RING_S)
        self.busy_since[agent] = (self.now, ring_s)
        work_s = self.handle.fresh()
        self._at(self.now + ring_s, lambda: self._answered(contact, ring_s))
        self._at(self.now + ring_s + work_s, lambda: self._released(agent, ring_s + work_s))

    def _answered(self, contact: int, ring_s: float) -> None:
        self.answer_delays.add(LINE_CODE, ring_s)
        sample = self.samples.get(contact)
        if sample is not None:
            sample.actual_s = self.now - self.arrived[contact]

    def _released(self, agent: int, handle_s: float) -> None:
        del self.busy_since[agent]
        self.handle_times.add(LINE_CODE, handle_s)
        if self.queue:
            self._offer(self.queue.popleft(), agent)
        else:
            self.free.append(agent)


def oracle_median(futures: int = 300) -> Callable[[QueueSimulation, int], float]:
    """The median of simulated futures from the true distributions and each busy agent's
    time in call: a lower bound for any estimator's error here."""

    def estimate(sim: QueueSimulation, position: int) -> float:
        waits = sorted(_one_future(sim, position) for _ in range(futures))
        return waits[futures // 2]

    return estimate


def _one_future(sim: QueueSimulation, position: int) -> float:
    frees = [
        sim.handle.remaining(sim.now - since - ring_s) for since, ring_s in sim.busy_since.values()
    ]
    heapq.heapify(frees)
    for _ in range(position - 1):
        freed = heapq.heappop(frees)
        heapq.heappush(frees, freed + sim.rng.uniform(*RING_S) + sim.handle.fresh())
    return frees[0] + sim.rng.uniform(*RING_S)


# ---------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Figures:
    contacts: int
    queued_share: float
    mean_wait_s: float
    mae_s: float
    bias_s: float
    oracle_mae_s: float

    @property
    def relative(self) -> float:
        return self.mae_s / self.mean_wait_s if self.mean_wait_s else math.nan


def figures(samples: list[Sample], contacts: int) -> Figures:
    if not samples:
        return Figures(contacts, 0.0, 0.0, 0.0, 0.0, math.nan)
    errors = [s.estimate_s - s.actual_s for s in samples]
    oracle = [abs(s.oracle_s - s.actual_s) for s in samples if not math.isnan(s.oracle_s)]
    return Figures(
        contacts=contacts,
        queued_share=len(samples) / contacts,
        mean_wait_s=statistics.fmean(s.actual_s for s in samples),
        mae_s=statistics.fmean(abs(e) for e in errors),
        bias_s=statistics.fmean(errors),
        oracle_mae_s=statistics.fmean(oracle) if oracle else math.nan,
    )


def simulate(args: argparse.Namespace, model: str, occupancy: float) -> tuple[list[Sample], int]:
    rng = random.Random(args.seed)
    oracle = oracle_median() if args.oracle else None
    sim = QueueSimulation(
        args.agents, occupancy, HandleModel(model, rng), rng, oracle, window=args.window
    )
    samples = sim.run(args.contacts)
    warm_up = args.contacts // 10  # the first contacts find an empty queue and no history
    kept = [s for contact, s in samples.items() if contact >= warm_up]
    return kept, args.contacts - warm_up


def by_position(samples: list[Sample]) -> Iterator[str]:
    for low, high in POSITION_BUCKETS:
        bucket = [s for s in samples if low <= s.position <= high]
        if len(bucket) < 30:
            continue
        fig = figures(bucket, len(bucket))
        label = f"{low}" if low == high else f"{low}+" if high > 10**6 else f"{low}-{high}"
        yield f"pos {label}: {100 * fig.relative:.0f}%"


def report(args: argparse.Namespace) -> None:
    print(
        f"# {args.agents} agents, {args.contacts} contacts per level, seed {args.seed}, "
        f"window {args.window}; "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print(
        "| handle times | occupancy | queued | mean wait | MAE | relative | bias | oracle "
        "| relative by position |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for model in ("exponential", "realistic"):
        for occupancy in LOADS:
            started = time.perf_counter()
            samples, contacts = simulate(args, model, occupancy)
            fig = figures(samples, contacts)
            oracle = (
                f"{fig.oracle_mae_s:.0f} s ({100 * fig.oracle_mae_s / fig.mean_wait_s:.0f}%)"
                if not math.isnan(fig.oracle_mae_s)
                else "-"
            )
            print(
                f"| {model} | {100 * occupancy:.0f}% | {100 * fig.queued_share:.0f}% "
                f"| {fig.mean_wait_s:.0f} s | {fig.mae_s:.0f} s | {100 * fig.relative:.0f}% "
                f"| {fig.bias_s:+.0f} s | {oracle} | {', '.join(by_position(samples))} |",
                flush=True,
            )
            print(f"  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=int, default=100, help="handle times kept per line code")
    parser.add_argument("--oracle", action="store_true", help="also the best possible (slow)")
    report(parser.parse_args())


if __name__ == "__main__":
    main()
