"""Prometheus metrics of callbacks: offered, accepted, attempts by result, completed (within the
deadline or not), ended otherwise (no answer, failed, expired, cancelled), and how many are
overdue now.

The engine calls one method per step as it happens; the metrics live on the registry it passes
(the engine's own, so one ``/metrics`` serves both).  All series of a line are created, at 0, the
first time the line is seen, so dashboards show 0 rather than no data.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from callbacks.model import AttemptResult, CallbackStatus
from foundation.contact import AgentEvent, ContactEvent, ContactEventKind

# "Near the deadline": time enough for a supervisor who is warned to have it called.
DUE_SOON_S = 4 * 3600.0

# Final statuses other than completed: how a callback can fail the citizen.
_UNSUCCESSFUL = (
    CallbackStatus.NO_ANSWER,
    CallbackStatus.FAILED,
    CallbackStatus.EXPIRED,
    CallbackStatus.CANCELLED,
)


class CallbackEvents:
    """A contact-event sink feeding the offer side of :class:`CallbackMetrics` (the dialer
    reports attempts and completions itself)."""

    def __init__(self, metrics: CallbackMetrics) -> None:
        self._metrics = metrics

    def contact_event(self, event: ContactEvent) -> None:
        line = event.contact.line or ""
        if event.kind is ContactEventKind.CALLBACK_OFFERED:
            self._metrics.offered(line)
        elif event.kind is ContactEventKind.CALLBACK_REQUESTED:
            self._metrics.accepted(line)

    def agent_event(self, event: AgentEvent) -> None:
        return None


class CallbackMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.callbacks_offered = Counter(
            "acd_callbacks_offered",
            "Callers offered a callback.",
            ("line",),
            registry=registry,
        )
        self.callbacks_accepted = Counter(
            "acd_callbacks_accepted",
            "Callback requests stored (a request merged into an open callback counts too).",
            ("line",),
            registry=registry,
        )
        self.callbacks_completed = Counter(
            "acd_callbacks_completed",
            "Callbacks that reached the citizen, by whether that was within the deadline.",
            ("line", "within_deadline"),
            registry=registry,
        )
        self.callbacks_ended = Counter(
            "acd_callbacks_ended",
            "Callbacks that ended without reaching the citizen, by final status.",
            ("line", "status"),
            registry=registry,
        )
        self.callback_attempts = Counter(
            "acd_callback_attempts",
            "Attempts to reach a citizen, by result.",
            ("line", "result"),
            registry=registry,
        )
        self.callbacks_open = Gauge(
            "acd_callbacks_open",
            "Open callbacks (pending or dialing), whatever their deadline.",
            registry=registry,
        )
        self.callbacks_overdue = Gauge(
            "acd_callbacks_overdue",
            "Open callbacks (pending or dialing) past their deadline.",
            registry=registry,
        )
        self.callbacks_due_soon = Gauge(
            "acd_callbacks_due_soon",
            f"Open callbacks whose deadline falls within the next {DUE_SOON_S / 3600:g} hours "
            "(not overdue yet).",
            registry=registry,
        )
        self._lines: set[str] = set()

    def offered(self, line: str) -> None:
        self._seen(line)
        self.callbacks_offered.labels(line).inc()

    def accepted(self, line: str) -> None:
        self._seen(line)
        self.callbacks_accepted.labels(line).inc()

    def attempt(self, line: str, result: AttemptResult | str) -> None:
        self._seen(line)
        self.callback_attempts.labels(line, AttemptResult(result).value).inc()

    def completed(self, line: str, within_deadline: bool) -> None:
        self._seen(line)
        self.callbacks_completed.labels(line, _flag(within_deadline)).inc()

    def ended(self, line: str, status: CallbackStatus | str) -> None:
        """A callback ended without reaching the citizen (no_answer, failed, expired or
        cancelled); completed ones go to :meth:`completed`."""
        final = CallbackStatus(status)
        if final not in _UNSUCCESSFUL:
            raise ValueError(f"{final.value!r} is not an unsuccessful final status")
        self._seen(line)
        self.callbacks_ended.labels(line, final.value).inc()

    def set_open(self, count: int) -> None:
        self.callbacks_open.set(count)

    def set_overdue(self, count: int) -> None:
        self.callbacks_overdue.set(count)

    def set_due_soon(self, count: int) -> None:
        self.callbacks_due_soon.set(count)

    def _seen(self, line: str) -> None:
        if line in self._lines:
            return
        self._lines.add(line)
        self.callbacks_offered.labels(line)
        self.callbacks_accepted.labels(line)
        for within in (True, False):
            self.callbacks_completed.labels(line, _flag(within))
        for status in _UNSUCCESSFUL:
            self.callbacks_ended.labels(line, status.value)
        for result in AttemptResult:
            self.callback_attempts.labels(line, result.value)


def _flag(value: bool) -> str:
    return "true" if value else "false"
