"""The models of the agent's call and the escalation points (:mod:`acd.escalation_routes`):
transfer, e-mail escalation and its preview, the escalation points; and "to survey"
(:mod:`acd.survey_routes`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, Field

from foundation.json_body import BodyModel


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("required: a non-empty string")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank), Field(min_length=1)]


class TransferBody(BodyModel):
    error_id: ClassVar[str] = "invalid_point_id"

    point_id: str = Field(min_length=1, description="the escalation point to transfer to")


class EscalateEmailBody(BodyModel):
    error_id: ClassVar[str] = "invalid_body"
    field_error_ids: ClassVar[dict[str, str]] = {
        "point_id": "invalid_point_id",
        "note": "invalid_note",
        "request_key": "invalid_request_key",
        "body": "invalid_body_text",
    }

    point_id: NonBlank
    note: NonBlank = Field(description="the agent's question for the point")
    request_key: NonBlank = Field(description="the same key again stores no second mail")
    body: NonBlank | None = Field(
        default=None,
        description="the mail's text as the agent edited it from the email-preview "
        "(absent: the point's template filled in with the note)",
    )


class TransferOut(BaseModel):
    agent_id: str
    point_id: str
    number: str
    transfer: str


class SurveyOut(BaseModel):
    """The agent's "To survey": the caller answers the line's survey, the agent is free."""

    agent_id: str
    survey: str = Field(description='"started"')


class EmailEscalationOut(BaseModel):
    mail_id: str | int
    point_id: str
    contact_id: str
    via: str
    status: str
    created: bool


class EscalationPointOut(BaseModel):
    """A point as it stands today (``escalations.codec.to_data``); PUT takes it back."""

    id: str
    editorial_title: str | None = None
    public_title: str | None = None
    phone: str | None = None
    phone_e164: str | None = None
    email: str | None = None
    line_codes: list[str]


class EscalationPointList(BaseModel):
    escalation_points: list[EscalationPointOut]


class EscalationPointsQuery(BaseModel):
    line_code: str | None = None


class AgentEscalationsOut(BaseModel):
    agent_id: str
    contact_id: str
    line_code: str
    at: str
    # "talking", or "wrap_up": the call is over, e-mail only (no transfer by phone)
    state: str
    escalation_points: list[dict[str, Any]]


class EmailPreviewQuery(BaseModel):
    note: str | None = Field(
        default=None,
        description="the agent's question as typed so far (absent: the contact's registered "
        "note, else empty)",
    )


class EmailPreviewOut(BaseModel):
    """The point's e-mail template filled in for the agent's contact, to edit and send."""

    agent_id: str
    point_id: str
    contact_id: str
    via: str
    address: str
    subject: str
    body: str
