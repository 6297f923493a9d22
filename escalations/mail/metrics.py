"""Prometheus metrics of escalation mails: queued, delivered, failed attempts (retried or given
up), and how many wait now.

The outbox and the sender call one method per step as it happens; the metrics live on the
registry they are given (the engine's own, so one ``/metrics`` serves all).  Every series of a
channel exists from the start, at 0, so dashboards show 0 rather than no data.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from escalations.mail.model import Via

RETRYING = "retrying"
GIVEN_UP = "given_up"


class MailMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.mails_queued = Counter(
            "acd_escalation_mails_queued",
            "Escalation mails stored in the outbox (a repeated request counts once).",
            ("via",),
            registry=registry,
        )
        self.mails_delivered = Counter(
            "acd_escalation_mails_delivered",
            "Escalation mails accepted by the SMTP server or the CRM webhook.",
            ("via",),
            registry=registry,
        )
        self.mail_attempts_failed = Counter(
            "acd_escalation_mail_attempts_failed",
            "Failed delivery attempts, by what happens next (retrying or given_up).",
            ("via", "next"),
            registry=registry,
        )
        self.mails_waiting = Gauge(
            "acd_escalation_mails_waiting",
            "Escalation mails not delivered yet (pending, sending or retrying).",
            registry=registry,
        )
        for via in Via:
            self.mails_queued.labels(via.value)
            self.mails_delivered.labels(via.value)
            for after in (RETRYING, GIVEN_UP):
                self.mail_attempts_failed.labels(via.value, after)

    def queued(self, via: Via) -> None:
        self.mails_queued.labels(Via(via).value).inc()

    def delivered(self, via: Via) -> None:
        self.mails_delivered.labels(Via(via).value).inc()

    def attempt_failed(self, via: Via, *, given_up: bool) -> None:
        self.mail_attempts_failed.labels(Via(via).value, GIVEN_UP if given_up else RETRYING).inc()

    def set_waiting(self, count: int) -> None:
        self.mails_waiting.set(count)
