"""What a started engine hands out: :class:`RunningEngine`, the parts the composition root
(:mod:`acd.app`) built, for ``acd run``, the demo, the HTTP wiring and the tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from acd.ari.client import AriClient
from acd.ari.stream import EventStream
from acd.auth.store import AuthStore
from acd.engine.core import EngineCore
from acd.engine.dialer import CallbackDialer
from acd.engine.runtime import EngineRuntime
from acd.quality.recordings import RecordingStore
from acd.quality.surveys import SurveyStore
from acd.records.store import ContactStore
from acd.records.together import RecordsWriter
from acd.settings import Settings
from acd.state.node import NodeMembership
from acd.state.pool import SharedPool
from acd.today import TodayFigures
from callbacks import CallbackStore
from escalations import SqlEscalationStore
from escalations.mail import Outbox
from foundation.clock import Clock
from foundation.contact import AgentRecord, ContactRecord
from sla.metrics import EngineMetrics


@dataclass
class RunningEngine:
    settings: Settings
    clock: Clock
    core: EngineCore
    runtime: EngineRuntime
    ari: AriClient
    stream: EventStream
    # Contact records, agent states and wrap-ups, written together (acd.records.together).
    recorder: RecordsWriter
    store: ContactStore
    callbacks: CallbackStore
    dialer: CallbackDialer
    metrics: EngineMetrics
    http_url: str | None
    # Set when another engine took this ARI application over: the engine has stopped its
    # events stream, and whoever runs it should exit (see acd.lease).
    lost_lease: asyncio.Event
    # Each agent's presence, reason and day counters, saved as they change (acd.records).
    agent_states: RecordsWriter  # the recorder
    # The escalation points, seeded from escalation_points.yaml, edited through the API.
    escalations: SqlEscalationStore
    # E-mail escalation (escalations.mail.escalate_by_email takes it); None when acd.yaml has
    # no mail section, and escalating by e-mail is refused.
    mail_outbox: Outbox | None = None
    # Users, sessions, tokens and the audit log (acd.auth); None only without the HTTP API.
    auth: AuthStore | None = None
    # The HTTP API's application, for tests that walk its routes.
    api_app: web.Application | None = None
    # Agents' wrap-ups by the contact they followed (the reports' AHT); None only in tests.
    wrap_ups: RecordsWriter | None = None  # the recorder
    # Today's offered / answered / abandoned per line and line code (the wallboard's).
    today: TodayFigures = field(default_factory=TodayFigures)
    # This node's lease in the shared state (acd.state); None: one node, no redis section.
    nodes: NodeMembership | None = None
    # This node's replica of the shared agent pool (acd.state.pool); None: one node.
    pool: SharedPool | None = None
    # Survey answers, one row per answer as keyed (acd.quality); None only in tests.
    surveys: SurveyStore | None = None
    # Call recordings' metadata (acd.quality); None only in tests.
    recordings: RecordingStore | None = None

    def health(self) -> dict[str, Any]:
        return {
            "ok": self.stream.connected,
            "ari_connected": self.stream.connected,
            "records_backlog": self.recorder.backlog_of(ContactRecord),
            "agent_states_backlog": self.recorder.backlog_of(AgentRecord),
        }
