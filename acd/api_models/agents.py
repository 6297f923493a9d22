"""The models of the agent and queue routes and of ``/healthz`` (:mod:`acd.api`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from foundation.contact import Presence
from foundation.json_body import BodyModel


class PresenceBody(BodyModel):
    error_id: ClassVar[str] = "invalid_presence"
    field_error_ids: ClassVar[dict[str, str]] = {"reason": "invalid_reason"}

    presence: Presence
    reason: str | None = Field(None, description="a break reason the agent's line allows")


class AgentOut(BaseModel):
    id: str
    name: str
    endpoint: str
    line_codes: dict[str, Any]
    presence: Presence
    reason: str | None
    presence_since: str | None
    activity: str
    idle_seconds: float | None
    contact_id: str | None


class AgentList(BaseModel):
    agents: list[AgentOut]


class WaitingContactOut(BaseModel):
    id: str
    line: str | None
    line_code: str | None
    caller_number: str | None
    phase: str
    arrived_at: str
    waiting_seconds: float | None
    agent_id: str | None
    offers: int
    priority: int | float
    step: int | None
    next_step_in_seconds: float | None


class QueueOut(BaseModel):
    line_code: str
    waiting: int
    longest_wait_seconds: float
    # Left out for the reporting role: figures, not who is calling.
    contacts: list[WaitingContactOut] | None = None
    agents_logged_in: int
    agents_available: int
    agents_idle: int


class QueueList(BaseModel):
    queues: list[QueueOut]


class HealthOut(BaseModel):
    ok: bool
    ari_connected: bool | None = None
    records_backlog: int | None = None
    agent_states_backlog: int | None = None
