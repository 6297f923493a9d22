"""How long a waiting caller will still wait: the figure behind "the estimated hold time is ...".

Pure arithmetic over plain numbers the engine already has (who serves the line code, where the
caller stands, recent handle times); no clock, no I/O.  ``bench/wait_estimate.py`` measures it
against simulated queues (``docs/performance.md``, "Wait-time estimate").

The model.  Contacts are served first come, first served, so a caller at position ``N`` starts
when the ``N``-th agent frees up after they joined (minus agents already free); callers who
arrive later never overtake, which is why the offered load does not enter the formula.  With
``c`` agents each freeing up on average every ``H`` seconds (the mean handle time: ring, talk
and wrap-up), agents free up at a rate ``c / H`` and the ``N``-th of them comes after about
``N * H / c``.  That is the mean; we announce the median instead, which sits a third of a gap
earlier (``(N - 1/3) * H / c``, the median of an Erlang-N wait), because the median is what
minimises the mean absolute error a caller experiences.

What the model leaves out, and why: busy agents' time already spent in their call (in
simulation, an estimator that knew the true handle-time distributions and every busy agent's
time in call did only 0-2 points better; see docs/performance.md), agents shared with other
line codes (they count as full agents here), and callers ahead who abandon (the estimate then
errs long, which callers forgive more easily than the opposite).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MEDIAN_OFFSET = 1.0 / 3.0
"""Gaps between the mean and the median of an Erlang-N wait, in mean gaps (Choi, 1994)."""


def estimate_wait(
    position: int,
    serving_agents: int,
    mean_handle_s: float,
    *,
    free_agents: int = 0,
    answer_delay_s: float = 0.0,
) -> float | None:
    """Expected seconds until a caller at ``position`` (1 = next) is answered.

    ``serving_agents`` are the agents logged in, available and skilled for the caller's line
    code, busy or not; ``free_agents`` those of them idle right now (the next ones to take a
    contact).  ``answer_delay_s`` is how long an agent's phone typically rings.  ``None`` when
    nobody serves the line code: no honest figure exists, so none should be announced.
    """
    if position < 1:
        raise ValueError(f"a queue position starts at 1, not {position}")
    if serving_agents <= 0:
        return None
    ahead = position - max(0, free_agents)
    if ahead <= 0:
        return answer_delay_s
    gaps = ahead - MEDIAN_OFFSET
    return gaps * mean_handle_s / serving_agents + answer_delay_s


@dataclass(slots=True)
class _Window:
    times: deque[float]
    total: float = 0.0


class HandleTimes:
    """The last ``window`` handle times per line code, and their mean.

    Fed by the engine with each completed contact's handle time (ring + talk + wrap-up: all the
    time the agent was kept from the queue).  The same class keeps any other rolling mean per
    line code, such as answer delays.

    Until a line code has history, its mean leans on ``default_s``: ``prior_weight`` phantom
    contacts of that length, so the first short call of the morning does not promise every
    caller a one-minute wait.
    """

    def __init__(
        self, window: int = 100, default_s: float = 300.0, prior_weight: float = 5.0
    ) -> None:
        if window < 1:
            raise ValueError("window: must be at least 1")
        if default_s < 0 or prior_weight < 0:
            raise ValueError("default_s and prior_weight: must not be negative")
        self.window = window
        self.default_s = default_s
        self.prior_weight = prior_weight
        self._by_line_code: dict[str, _Window] = {}

    def add(self, line_code: str, handle_s: float) -> None:
        if handle_s < 0:
            raise ValueError(f"a handle time cannot be negative: {handle_s}")
        window = self._by_line_code.get(line_code)
        if window is None:
            window = self._by_line_code[line_code] = _Window(deque(maxlen=self.window))
        if len(window.times) == self.window:
            window.total -= window.times[0]
        window.times.append(handle_s)
        window.total += handle_s

    def count(self, line_code: str) -> int:
        window = self._by_line_code.get(line_code)
        return len(window.times) if window else 0

    def mean(self, line_code: str) -> float:
        window = self._by_line_code.get(line_code)
        n, total = (len(window.times), window.total) if window else (0, 0.0)
        weight = self.prior_weight
        if n + weight == 0:
            return self.default_s
        return (total + weight * self.default_s) / (n + weight)
