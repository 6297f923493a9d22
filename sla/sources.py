"""Which exposed samples each :class:`sla.service_level.Tally` field is the increase of.

One table, read two ways: :func:`tally_from_exposition` sums the samples of a ``/metrics`` text
(the demo summary, tests), and ``sla.prometheus_rules`` writes the same selectors into PromQL,
so a figure cannot mean one thing in the summary and another on a dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from sla.service_level import SERVICE_LEVEL_THRESHOLD_S, Tally

Matcher = tuple[str, str, str]  # (label, "=" | "!=" | "=~", value), as in a PromQL selector


@dataclass(frozen=True, slots=True)
class Source:
    sample: str  # the exposed sample name (with _total, _sum, _bucket ...)
    matchers: tuple[Matcher, ...] = ()

    def selector(self) -> str:
        if not self.matchers:
            return self.sample
        inner = ",".join(f'{label}{op}"{value}"' for label, op, value in self.matchers)
        return f"{self.sample}{{{inner}}}"

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(_match(labels.get(label, ""), op, value) for label, op, value in self.matchers)


def _match(actual: str, op: str, value: str) -> bool:
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    return re.fullmatch(value, actual) is not None  # "=~": anchored, as PromQL's


def bucket_label(seconds: float) -> str:
    """The ``le`` label value prometheus_client writes for a bucket bound (``20.0``)."""
    return str(float(seconds))


_HANDLING = ("activity", "=~", "on_call|wrap_up")
_LOGGED_IN = ("presence", "!=", "logged_out")

# The Tally fields, in order, each with the samples it sums.  Per-line sources carry the
# ``line`` and ``line_code`` labels; the agent ones do not (agents serve several lines).
SOURCES: dict[str, tuple[Source, ...]] = {
    "offered": (Source("acd_contacts_offered_total"),),
    "answered": (Source("acd_contacts_answered_total"),),
    "abandoned": (Source("acd_contacts_abandoned_total"),),
    "short_abandoned": (Source("acd_contacts_abandoned_short_total"),),
    "answered_within": (
        Source(
            "acd_answer_wait_seconds_bucket",
            (("le", "=", bucket_label(SERVICE_LEVEL_THRESHOLD_S)),),
        ),
    ),
    "answer_wait_s": (Source("acd_answer_wait_seconds_sum"),),
    "talk_s": (Source("acd_talk_seconds_sum"),),
    "talks": (Source("acd_talk_seconds_count"),),
    "wrap_up_s": (Source("acd_wrap_up_seconds_sum"),),
    "handling_agent_s": (Source("acd_agent_state_seconds_total", (_LOGGED_IN, _HANDLING)),),
    "staffed_agent_s": (
        # Logged in and not on a break: available, or not available but still on a call.
        Source("acd_agent_state_seconds_total", (("presence", "=", "available"),)),
        Source(
            "acd_agent_state_seconds_total",
            (("presence", "=", "not_available"), ("activity", "!=", "idle")),
        ),
    ),
}
AGENT_FIELDS = frozenset({"handling_agent_s", "staffed_agent_s"})


def tally_from_exposition(
    text: str, *, line: str | None = None, line_code: str | None = None
) -> Tally:
    """The counters' values in a ``/metrics`` text as a :class:`Tally` (since the engine
    started), summed over the lines and line codes, or only those given."""
    samples = [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]
    wanted = {"line": line, "line_code": line_code}
    values = {
        name: _total(samples, sources, {} if name in AGENT_FIELDS else wanted)
        for name, sources in SOURCES.items()
    }
    return Tally(**values)


def _total(
    samples: Iterable[tuple[str, Mapping[str, str], float]],
    sources: tuple[Source, ...],
    wanted: Mapping[str, str | None],
) -> float:
    total = 0.0
    for name, labels, value in samples:
        if any(want is not None and labels.get(key) != want for key, want in wanted.items()):
            continue
        total += sum(value for s in sources if s.sample == name and s.matches(labels))
    return total


def gauge_total(text: str, sample: str) -> float:
    """The sum of one sample's series in a ``/metrics`` text (a gauge now, e.g. waiting)."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample
    )
