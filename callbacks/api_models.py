"""The callbacks routes' request and response models (:mod:`callbacks.http`): the handlers
validate bodies with them and the OpenAPI description is generated from them."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from callbacks.model import CallbackStatus
from foundation.json_body import BodyModel

# A time with its offset; parsed by the handler (callbacks.http._time), which also refuses one
# that is out of range once in UTC.
IsoTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MAX_LIST_LIMIT = 10_000


class CancelBody(BodyModel):
    error_id: ClassVar[str] = "invalid_reason"

    reason: NonBlank = Field(description="why the callback is cancelled (audited)")


class RescheduleBody(BodyModel):
    error_id: ClassVar[str] = "invalid_time"

    at: IsoTime = Field(
        description="when to call back: ISO 8601 with an offset, from now on and before the"
        " callback's deadline"
    )


class CallbackListQuery(BaseModel):
    status: CallbackStatus | None = None
    line: str | None = Field(None, description="a line id")
    line_code: str | None = None
    due_before: IsoTime | None = None
    limit: int | None = Field(None, ge=1, le=MAX_LIST_LIMIT)


class AttemptOut(BaseModel):
    seq: int
    started_at: str | None
    ended_at: str | None
    result: str | None
    agent_id: str | None
    node_id: str | None


class CallbackOut(BaseModel):
    id: str
    number: str
    line: str
    line_code: str | None
    contact_id: str | None
    status: CallbackStatus
    requested_at: str | None
    due_by: str | None
    overdue: bool
    next_attempt_at: str | None
    priority: int
    merged_count: int
    agent_id: str | None
    reason: str | None
    claimed_by: str | None
    closed_at: str | None
    attempts: list[AttemptOut]


class CallbackList(BaseModel):
    callbacks: list[CallbackOut]
