"""The demo's figures, the summary ``acd demo --json`` prints: the service-level figures from
the engine's ``/metrics`` text (one definition with Prometheus), the tallies a contact-event
sink keeps per contact, and what the stores hold at the end (callbacks, escalation mails,
survey answers, recordings), each read from its source of truth."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from acd.mail_sink import MailSink
from acd.records.writer import BatchWriter
from acd.running import RunningEngine
from callbacks import CallbackStatus
from emulator import Emulator
from escalations.mail import MailStatus
from foundation.contact import (
    Activity,
    AgentEvent,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    ContactRecord,
    Outcome,
    Presence,
)
from sla.service_level import FIGURES, SERVICE_LEVEL_THRESHOLD_S
from sla.sources import gauge_total, tally_from_exposition

log = logging.getLogger(__name__)

MAIL_DRAIN_S = 120.0  # at the end, how long escalation mails still waiting may take to go out


@dataclass
class DemoStats:
    """A contact-event sink that tallies what the metrics do not carry per contact (longest
    wait, outcomes, rings).  The service-level figures come from the engine's metrics
    (:func:`sla_figures`), the same counters and definitions Prometheus works from."""

    other_outcomes: Counter[str] = field(default_factory=Counter)
    answered_waits: list[float] = field(default_factory=list)
    abandoned_waits: list[float] = field(default_factory=list)
    agent_offers: Counter[str] = field(default_factory=Counter)
    agents: dict[str, tuple[Presence, Activity]] = field(default_factory=dict)
    callbacks_offered: int = 0
    callbacks_requested: int = 0
    escalations: Counter[str] = field(default_factory=Counter)  # phone, email, refused
    on_missed: Callable[[str], None] | None = None
    on_answered: Callable[[ContactRecord], None] | None = None

    def contact_event(self, event: ContactEvent) -> None:
        record = event.contact
        if record.kind is ContactKind.CALLBACK:
            return  # callback placements are counted from the callback store
        if event.kind is ContactEventKind.CALLBACK_OFFERED:
            self.callbacks_offered += 1
        elif event.kind is ContactEventKind.CALLBACK_REQUESTED:
            self.callbacks_requested += 1
        elif event.kind is ContactEventKind.ANSWERED:
            self.answered_waits.append(record.wait_seconds or 0.0)
            self.agent_offers["answered"] += 1
            if self.on_answered is not None:
                self.on_answered(record)
        elif event.kind is ContactEventKind.ESCALATED:
            self.escalations["phone"] += 1
        elif event.kind is ContactEventKind.OFFER_ENDED:
            self.agent_offers[str(record.offers[-1].result)] += 1
        elif event.kind is ContactEventKind.ENDED:
            self._ended(event)

    def _ended(self, event: ContactEvent) -> None:
        record = event.contact
        if record.outcome is Outcome.ABANDONED and record.queued_at is None:
            self.other_outcomes["abandoned_before_queue"] += 1
        elif record.outcome is Outcome.ABANDONED:
            self.abandoned_waits.append(record.wait_seconds or 0.0)
            if record.offers and record.offers[-1].result is not None:
                self.agent_offers[str(record.offers[-1].result)] += 1
        elif record.outcome is not Outcome.ANSWERED:
            self.other_outcomes[str(record.outcome)] += 1

    def agent_event(self, event: AgentEvent) -> None:
        self.agents[event.agent_id] = (event.presence, event.activity)
        missed = event.reason == "missed" and event.previous_presence is Presence.AVAILABLE
        if missed and self.on_missed is not None:
            self.on_missed(event.agent_id)

    def agent_line(self) -> str:
        counts = Counter(
            "not available" if p is Presence.NOT_AVAILABLE else str(a)
            for p, a in self.agents.values()
            if p is not Presence.LOGGED_OUT
        )
        return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))

    def summary(self, exposition: str) -> dict[str, Any]:
        """The figures, from the engine's ``/metrics`` text, with this sink's own tallies."""
        waits = self.answered_waits
        return {
            **sla_figures(exposition),
            "max_wait_s": round(max(waits), 1) if waits else 0.0,
            "avg_abandon_wait_s": (
                round(sum(self.abandoned_waits) / len(self.abandoned_waits), 1)
                if self.abandoned_waits
                else 0.0
            ),
            "other_outcomes": dict(self.other_outcomes),
            "callbacks_offered": self.callbacks_offered,
            "callbacks_requested": self.callbacks_requested,
            "agent_offers": dict(self.agent_offers),
            "escalations_phone": self.escalations["phone"],
            "escalations_email": self.escalations["email"],
            "escalations_refused": self.escalations["refused"],
        }


def sla_figures(exposition: str) -> dict[str, Any]:
    """The counts and service-level figures of a ``/metrics`` text, as sla.service_level
    defines them (and config/prometheus/rules computes them): one definition for both."""
    tally = tally_from_exposition(exposition)
    figures: dict[str, Any] = {
        "offered": int(tally.offered),
        "answered": int(tally.answered),
        "abandoned": int(tally.abandoned),
        "short_abandoned": int(tally.short_abandoned),
        "still_waiting": int(gauge_total(exposition, "acd_contacts_waiting")),
        "service_level_threshold_s": SERVICE_LEVEL_THRESHOLD_S,
    }
    for figure in FIGURES:
        value = figure(tally)
        key = f"{figure.name}_s" if figure.unit == "seconds" else figure.name
        figures[key] = None if value is None else round(value, 4)
    return figures


async def quality_figures(engine: RunningEngine, start: datetime, emu: Emulator) -> dict[str, Any]:
    """The survey answers and recordings, from their SQL stores (the source of truth the
    report reads too): answers stored, callers who answered, the mean score per question
    (over every answer to it), the recordings' metadata rows and the files behind them."""
    for sink in (*engine.runtime.survey_sinks, *engine.runtime.recording_sinks):
        if isinstance(sink, BatchWriter):
            await sink.flush()
    if engine.surveys is None or engine.recordings is None:
        return {}
    since, until = start - timedelta(days=1), start + timedelta(days=30)
    answers = await engine.surveys.between(since, until)
    scores: dict[str, list[int]] = {}
    for answer in answers:
        scores.setdefault(answer.question, []).append(answer.score)
    directory = emu.pbx.config.recordings_dir
    return {
        "survey_responses": len(answers),
        "survey_respondents": await engine.surveys.respondents(since, until),
        "survey_mean": {q: round(sum(s) / len(s), 2) for q, s in scores.items()},
        "recordings": len(await engine.recordings.between(since, until)),
        "recording_files": len(list(directory.iterdir()))
        if directory and directory.exists()
        else 0,
    }


async def callback_figures(engine: RunningEngine) -> dict[str, int]:
    """How the stored callbacks fared: from the durable store, the source of truth."""
    stored = await engine.callbacks.list(limit=1_000_000)
    completed = [c for c in stored if c.status is CallbackStatus.COMPLETED]
    return {
        "callbacks_completed": len(completed),
        "callbacks_within_deadline": sum(c.completed_within_deadline for c in completed),
        "callbacks_pending": sum(c.status.is_open for c in stored),
    }


async def mail_figures(engine: RunningEngine, sink: MailSink) -> dict[str, int]:
    """The escalation mails delivered, from the outbox (the source of truth), once the sender
    has had its chance at those still waiting; the sinks must have received as many."""
    outbox = engine.mail_outbox
    if outbox is None:
        return {"escalation_mails_delivered": 0, "escalation_mails_waiting": 0}
    store = outbox.store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAIL_DRAIN_S
    while await store.count_waiting() and loop.time() < deadline:  # noqa: ASYNC110 (polls SQL)
        await asyncio.sleep(1.0)
    delivered = await store.list(statuses=[MailStatus.DELIVERED], limit=1_000_000)
    received = len(sink.received) + len(sink.posted)
    if len(delivered) != received:
        log.warning(
            "the outbox says %d mails delivered, the SMTP and CRM sinks received %d",
            len(delivered),
            received,
        )
    return {
        "escalation_mails_delivered": len(delivered),
        "escalation_mails_waiting": await store.count_waiting(),
    }
