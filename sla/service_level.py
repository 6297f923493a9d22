"""Service-level arithmetic, defined once: the demo summary, the Prometheus recording rules and
the reports all work their figures out from here.

A :class:`Tally` holds what happened over one period (counts and summed seconds: what the
``acd_*`` counters and histograms grew by); each figure is a ratio of sums of its fields, so the
same :class:`Figure` is both a Python function over a tally and a PromQL expression over the
recorded increases (``sla.prometheus_rules`` writes config/prometheus/rules/acd.rules.yml from
these definitions).  docs/sla.md explains each one and the norms below.

A ratio over nothing (no contact in the period) is ``None`` in Python and NaN in PromQL:
"no figure", never 0% or 100%.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

# The seeds' norms.
ANSWER_RATE_NORM = 0.95  # 95% of calls answered
SERVICE_LEVEL_THRESHOLD_S = 20.0  # "answered within 20 s", the classic service-level target
OLDEST_WAIT_ALERT_S = 150.0  # the callback offer's threshold: nobody should wait longer
CALLBACK_DEADLINE_WORKING_DAYS = 2  # a callback made within 2 working days
ESCALATION_TERM_WORKING_DAYS = 5  # an escalation handled within its term (default 5 working days)


@dataclass(frozen=True, slots=True)
class Tally:
    """What happened over one period, for one line and line code or summed over several.

    Each field's docstring-like comment names the metric whose increase it is."""

    offered: float = 0.0  # acd_contacts_offered_total: inbound contacts that entered a queue
    answered: float = 0.0  # acd_contacts_answered_total
    abandoned: float = 0.0  # acd_contacts_abandoned_total (short ones included)
    short_abandoned: float = 0.0  # acd_contacts_abandoned_short_total
    answered_within: float = 0.0  # acd_answer_wait_seconds_bucket{le=threshold}
    answer_wait_s: float = 0.0  # acd_answer_wait_seconds_sum
    talk_s: float = 0.0  # acd_talk_seconds_sum
    talks: float = 0.0  # acd_talk_seconds_count: answered calls whose talk ended
    wrap_up_s: float = 0.0  # acd_wrap_up_seconds_sum
    handling_agent_s: float = 0.0  # acd_agent_state_seconds_total on a call or wrapping up
    staffed_agent_s: float = 0.0  # acd_agent_state_seconds_total logged in and not on a break

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


Term = tuple[int, str]  # (+1 or -1, a Tally field)


@dataclass(frozen=True, slots=True)
class Figure:
    """``sum(numerator) / sum(denominator)`` over a :class:`Tally`'s fields."""

    name: str
    unit: str  # "ratio" or "seconds": the last part of the recorded series' name
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]
    per_line: bool = True  # False: agents are not per line (occupancy)

    def __call__(self, tally: Tally) -> float | None:
        denominator = _sum(tally, self.denominator)
        if denominator <= 0:
            return None
        return _sum(tally, self.numerator) / denominator


def _sum(tally: Tally, terms: tuple[Term, ...]) -> float:
    return sum(sign * float(getattr(tally, name)) for sign, name in terms)


# Answer rate: of the callers who either got an agent or gave up waiting, the share that got an
# agent.  Callers who left the queue otherwise (a callback accepted, the line closing) are in
# neither: the callback norm covers them.
# PromQL: answered / (answered + abandoned)
answer_rate = Figure(
    "answer_rate", "ratio", ((1, "answered"),), ((1, "answered"), (1, "abandoned"))
)

# Service level: the share of those callers answered within the threshold (20 s).
# PromQL: answered_within / (answered + abandoned)
service_level = Figure(
    "service_level", "ratio", ((1, "answered_within"),), ((1, "answered"), (1, "abandoned"))
)

# Service level without short abandons: as above, leaving out who hung up within
# engine.short_abandon_s (misdialled, changed their mind: no service was possible).
# PromQL: answered_within / (answered + abandoned - short_abandoned)
service_level_without_short_abandons = Figure(
    "service_level_without_short_abandons",
    "ratio",
    ((1, "answered_within"),),
    ((1, "answered"), (1, "abandoned"), (-1, "short_abandoned")),
)

# Abandon rate: of the contacts offered to the queue, the share whose caller hung up waiting.
# PromQL: abandoned / offered
abandon_rate = Figure("abandon_rate", "ratio", ((1, "abandoned"),), ((1, "offered"),))

# ASA, average speed of answer: mean time in the queue of the answered contacts.
# PromQL: answer_wait_s / answered
average_speed_of_answer = Figure(
    "average_speed_of_answer", "seconds", ((1, "answer_wait_s"),), ((1, "answered"),)
)

# AHT, average handling time: talk plus after-call work per handled (answered, ended) call.
# PromQL: (talk_s + wrap_up_s) / talks
average_handling_time = Figure(
    "average_handling_time", "seconds", ((1, "talk_s"), (1, "wrap_up_s")), ((1, "talks"),)
)

# Occupancy: of the agents' staffed time (logged in, not on a break), the share spent on
# calls or their after-call work.
# PromQL: handling_agent_s / staffed_agent_s
occupancy = Figure(
    "occupancy", "ratio", ((1, "handling_agent_s"),), ((1, "staffed_agent_s"),), per_line=False
)

FIGURES: tuple[Figure, ...] = (
    answer_rate,
    service_level,
    service_level_without_short_abandons,
    abandon_rate,
    average_speed_of_answer,
    average_handling_time,
    occupancy,
)
