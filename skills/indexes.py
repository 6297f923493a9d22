"""The router's incremental indexes: free agents, waiting contacts, logged-in counts, deadlines.

Every index is a set of binary heaps with *lazy deletion*: an entry carries the id and the
epoch its owner had when it was pushed, and it is live only while ``epochs[id]`` still equals
that epoch.  Removing an owner is then one dict deletion, whatever the number of heaps it sits
in; dead entries are dropped when they reach a heap's top, and a heap is rebuilt once dead
entries outnumber live ones (so memory stays within twice the live size, amortised O(1)).

Heaps are keyed so that a question touches only the heaps that can answer it:

* free agents by (skill, policy), then level, ordered by the policy's ranking key: "the best
  free agent for this step" peeks at most 5 levels per admission (own line code, fallbacks);
* waiting contacts by (skill, minimum level the contact's current step admits on it, line
  code weight), ordered by (priority, place): "the best contact this agent may take" peeks
  at the heaps of the agent's skills only, at most one per (minimum level, weight) in use.

A heap with no live entry is passed over without looking inside (``live`` is exact).

Nothing here knows about time steps or reservations; :mod:`skills.router` drives it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from skills.model import MAX_LEVEL, AgentStats, Policy
from skills.ordering import ChoiceKey, QueueKey
from skills.policies import RANKINGS, RankFn
from skills.steps import Admission, Plans

_SLACK = 16  # dead entries a heap may carry before a rebuild is considered


class _Heap:
    """A heap of tuples ending in (owner id, epoch), with a count of its live entries."""

    __slots__ = ("entries", "live")

    def __init__(self) -> None:
        self.entries: list[Any] = []
        self.live = 0

    def top(self, epochs: Mapping[str, int]) -> Any:
        """The best live entry; only call it when ``live`` is not 0."""
        entries = self.entries
        while entries:
            entry = entries[0]
            if epochs.get(entry[-2]) == entry[-1]:
                return entry
            heapq.heappop(entries)
        return None

    def compact(self, epochs: Mapping[str, int]) -> None:
        """Drop dead entries: called once they outnumber the live ones (amortised O(1))."""
        self.entries = [e for e in self.entries if epochs.get(e[-2]) == e[-1]]
        heapq.heapify(self.entries)

    def live_ids(self, epochs: Mapping[str, int]) -> frozenset[str]:
        return frozenset(e[-2] for e in self.entries if epochs.get(e[-2]) == e[-1])


def _by_level() -> list[Any]:
    return [None] * (MAX_LEVEL + 1)  # index 0 unused: levels are 1..5


class FreeAgents:
    """Agents that may be offered a contact now, per (skill, policy), then level."""

    def __init__(self, plans: Plans) -> None:
        self._plans = plans
        self.epochs: dict[str, int] = {}
        self._heaps: dict[tuple[str, Policy], list[_Heap | None]] = {}
        # Per skill, each policy that ranks its agents with its key and its heaps by level:
        # what agent_free walks, found with one lookup per skill.
        self._rankers: dict[str, list[tuple[RankFn, list[_Heap | None]]]] = {}
        self._member_of: dict[str, list[_Heap]] = {}
        self._epoch = itertools.count()

    def _rankers_of(self, skill: str) -> list[tuple[RankFn, list[_Heap | None]]]:
        rankers = []
        for policy in self._plans.policies_for_skill(skill):
            by_level = self._heaps.setdefault((skill, policy), _by_level())
            rankers.append((RANKINGS[policy], by_level))
        self._rankers[skill] = rankers
        return rankers

    def __contains__(self, agent_id: str) -> bool:
        return agent_id in self.epochs

    def __len__(self) -> int:
        return len(self.epochs)

    def add(self, agent_id: str, skills: Mapping[str, int], stats: AgentStats) -> None:
        self.remove(agent_id)
        epoch = next(self._epoch)
        self.epochs[agent_id] = epoch
        member_of: list[_Heap] = []
        rankers = self._rankers
        for skill, level in skills.items():
            # Several line codes (own policy, fallback users) may rank this skill's agents,
            # each under its own policy: one heap per policy in use, never per line code.
            for rank_fn, by_level in rankers.get(skill) or self._rankers_of(skill):
                heap = by_level[level]
                if heap is None:
                    heap = by_level[level] = _Heap()
                heapq.heappush(heap.entries, (rank_fn(level, stats), agent_id, epoch))
                heap.live += 1
                member_of.append(heap)
        self._member_of[agent_id] = member_of

    def remove(self, agent_id: str) -> None:
        epochs = self.epochs
        if epochs.pop(agent_id, None) is None:
            return
        for heap in self._member_of.pop(agent_id):
            heap.live -= 1
            if len(heap.entries) > 2 * heap.live + _SLACK:
                heap.compact(epochs)

    def best(self, admissions: tuple[Admission, ...], policy: Policy, own: str) -> ChoiceKey | None:
        """The best free agent a step admits, as its choice key."""
        best: ChoiceKey | None = None
        heaps, epochs = self._heaps, self.epochs
        for skill, min_level in admissions:
            by_level = heaps.get((skill, policy))
            if by_level is None:
                continue
            for level in range(min_level, MAX_LEVEL + 1):
                heap = by_level[level]
                if heap is None or not heap.live:
                    continue
                entry = heap.entries[0]
                if epochs.get(entry[1]) != entry[2]:
                    entry = heap.top(epochs)
                key = (entry[0], entry[1], skill != own, skill)
                if best is None or key < best:
                    best = key
        return best

    def view(self) -> dict[tuple[str, int, Policy], frozenset[str]]:
        """Live members of every non-empty heap (for tests: the oracle recomputes this)."""
        view = {
            (skill, level, policy): heap.live_ids(self.epochs)
            for (skill, policy), by_level in self._heaps.items()
            for level, heap in enumerate(by_level)
            if heap is not None
        }
        return {key: ids for key, ids in view.items() if ids}

    def entry_count(self) -> int:
        return sum(len(h.entries) for by_level in self._heaps.values() for h in by_level if h)


class WaitingContacts:
    """Contacts waiting for an agent, per (skill, min level their step admits, weight)."""

    def __init__(self) -> None:
        self.epochs: dict[str, int] = {}
        self._heaps: dict[tuple[str, int, float], _Heap] = {}
        # Per skill, its heaps as (min level, weight, heap): the few an agent must look at.
        self._by_skill: dict[str, list[tuple[int, float, _Heap]]] = {}
        self._member_of: dict[str, list[_Heap]] = {}
        self._epoch = itertools.count()

    def __len__(self) -> int:
        return len(self.epochs)

    def add(
        self,
        contact_id: str,
        admissions: tuple[Admission, ...],
        weight: float,
        priority: int,
        waiting_since: float,
        seq: int,
    ) -> None:
        self.remove(contact_id)
        epoch = next(self._epoch)
        self.epochs[contact_id] = epoch
        # One tuple shared by every heap the contact is in: memory per contact stays small.
        entry = (-priority, waiting_since, seq, contact_id, epoch)
        member_of: list[_Heap] = []
        heaps = self._heaps
        for skill, min_level in admissions:
            heap = heaps.get((skill, min_level, weight))
            if heap is None:
                heap = heaps[(skill, min_level, weight)] = _Heap()
                self._by_skill.setdefault(skill, []).append((min_level, weight, heap))
            heapq.heappush(heap.entries, entry)
            heap.live += 1
            member_of.append(heap)
        self._member_of[contact_id] = member_of

    def remove(self, contact_id: str) -> None:
        epochs = self.epochs
        if epochs.pop(contact_id, None) is None:
            return
        for heap in self._member_of.pop(contact_id):
            heap.live -= 1
            if len(heap.entries) > 2 * heap.live + _SLACK:
                heap.compact(epochs)

    def best_for(self, skills: Mapping[str, int], now: float) -> tuple[QueueKey, str] | None:
        """The best waiting contact an agent with ``skills`` may take, with its queue key."""
        best: QueueKey | None = None
        best_id = ""
        by_skill, epochs = self._by_skill, self.epochs
        for skill, level in skills.items():
            for min_level, weight, heap in by_skill.get(skill, ()):
                if min_level > level or not heap.live:
                    continue
                entry = heap.entries[0]
                if epochs.get(entry[3]) != entry[4]:
                    entry = heap.top(epochs)
                # Same arithmetic as skills.ordering.queue_key, inlined on the hot path.
                key = (entry[0], -((now - entry[1]) * weight), entry[1], entry[2])
                if best is None or key < best:
                    best, best_id = key, entry[3]
        return None if best is None else (best, best_id)

    def view(self) -> dict[Admission, frozenset[str]]:
        view: dict[Admission, set[str]] = {}
        for (skill, min_level, _), heap in self._heaps.items():
            view.setdefault((skill, min_level), set()).update(heap.live_ids(self.epochs))
        return {admission: frozenset(ids) for admission, ids in view.items() if ids}

    def entry_count(self) -> int:
        return sum(len(heap.entries) for heap in self._heaps.values())


class LoggedInCounts:
    """Per skill, how many logged-in agents have at least each level: what skip_if asks."""

    def __init__(self) -> None:
        self._at_least: dict[str, list[int]] = {}

    def change(self, old: Mapping[str, int], new: Mapping[str, int]) -> set[Admission]:
        """Replace one agent's logged-in skills ``old`` by ``new`` (either may be empty);
        return the admissions whose "some logged-in agent matches" answer flipped."""
        touched = {
            (skill, m)
            for skill, level in itertools.chain(old.items(), new.items())
            for m in range(1, level + 1)
        }
        before = {adm: self.has(*adm) for adm in touched}
        for skill, level in old.items():
            counts = self._at_least[skill]
            for m in range(1, level + 1):
                counts[m] -= 1
            if counts[1] == 0:
                del self._at_least[skill]
        for skill, level in new.items():
            counts = self._at_least.setdefault(skill, [0] * (MAX_LEVEL + 1))
            for m in range(1, level + 1):
                counts[m] += 1
        return {adm for adm, had in before.items() if self.has(*adm) != had}

    def has(self, skill: str, min_level: int) -> bool:
        counts = self._at_least.get(skill)
        return counts is not None and counts[min_level] > 0

    def any(self, admissions: tuple[Admission, ...]) -> bool:
        return any(self.has(skill, level) for skill, level in admissions)

    def view(self) -> dict[str, tuple[int, ...]]:
        return {skill: tuple(counts[1:]) for skill, counts in self._at_least.items()}


_NONE_DUE: list[str] = []


class Deadlines:
    """Times at which something may change (a step starts, a delay ends), lazily cancelled:
    an entry counts only while ``is_current(id, when)`` still holds.

    Cancelled entries are never swept: each leaves the heap when its time comes, so they are
    bounded by what was cancelled within the longest step offset or delay, and no single call
    ever pays for a rebuild of the whole heap."""

    def __init__(self, is_current: Callable[[str, float], bool]) -> None:
        self._heap: list[tuple[float, int, str]] = []
        self._is_current = is_current
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, when: float, owner: str) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), owner))

    def pop_due(self, now: float) -> list[str]:
        """Remove and return the owners of the current entries due by ``now``, in time order."""
        heap = self._heap
        if not heap or heap[0][0] > now:
            return _NONE_DUE  # the common case, without allocating
        due = []
        while heap and heap[0][0] <= now:
            when, _, owner = heapq.heappop(heap)
            if self._is_current(owner, when):
                due.append(owner)
        return due

    def next(self) -> float | None:
        heap = self._heap
        while heap and not self._is_current(heap[0][2], heap[0][0]):
            heapq.heappop(heap)
        return heap[0][0] if heap else None
