"""The request and response models of the engine's own routes (:mod:`acd.api`,
:mod:`acd.escalation_routes`, :mod:`acd.escalation_rating_routes`, :mod:`acd.desk_routes`,
:mod:`acd.monitor_routes`): the handlers validate
bodies with them (:func:`foundation.json_body.parse_body`) and :mod:`acd.openapi` describes the
API from them.  Responses are built by the handlers as before; the models say what they hold
(``extra`` keys allowed, so a new key is not a broken promise) and the schemathesis run checks
every response against them."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from acd.engine.inputs import MonitorMode
from escalations.ratings.model import (
    MAX_COMMENT_LENGTH,
    MAX_RATER_LENGTH,
    MAX_SCORE,
    MIN_SCORE,
    InvalidRating,
    parse_comment,
    parse_rater,
)
from foundation.contact import Presence
from foundation.json_body import BodyModel


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("required: a non-empty string")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank), Field(min_length=1)]


# --- agents and queues (acd.api) ----------------------------------------------------------


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


# --- the agent's call and the escalation points (acd.escalation_routes) -------------------


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


class RecordOut(BaseModel):
    """A supervisor's "record this call": recording from now on (or already)."""

    agent_id: str
    recording: str = Field(description='"started"')


class RecordingOut(BaseModel):
    name: str = Field(description="the ARI stored recording's name: rec-<contact id>")
    contact_id: str
    agent_id: str | None
    line: str
    line_code: str
    format: str
    file: str
    started_at: str
    ended_at: str | None
    on_demand: bool
    held: bool | None = None
    deleted_at: str | None = None
    scored: int | None = Field(None, description="in a list: how many scored it")
    scores: list[RecordingScoreOut] | None = Field(None, description="one recording: its scores")


class RecordingList(BaseModel):
    recordings: list[RecordingOut]


class RecordingScoreOut(BaseModel):
    recording: str
    scorer: str = Field(description="the user (or token:<name>) who scored")
    scored_at: str
    scores: dict[str, int] = Field(description="criterion id -> score (1 to quality.scale_max)")
    comment: str | None


class ScoreBody(BodyModel):
    """A listening session's verdict on one recording: every configured criterion
    (``quality.criteria``) scored 1 to ``quality.scale_max``; scoring again replaces it."""

    error_id: ClassVar[str] = "invalid_score"
    scores: dict[Annotated[str, Field(max_length=64)], int] = Field(max_length=32)
    comment: str | None = Field(None, max_length=2000)


class ScoresOut(BaseModel):
    name: str
    scores: list[RecordingScoreOut]


class RecordingsQuery(BaseModel):
    agent: str | None = None
    line_code: str | None = None
    date: str | None = Field(None, description="YYYY-MM-DD, Europe/Brussels; default today")


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


# --- escalation ratings (acd.escalation_rating_routes) ------------------------------------


def _rater(value: object) -> str:
    try:
        return parse_rater(value)
    except InvalidRating as exc:
        raise ValueError(exc.reason) from None


def _comment(value: object) -> str | None:
    try:
        return parse_comment(value)
    except InvalidRating as exc:
        raise ValueError(exc.reason) from None


def _score(value: object) -> int:
    # bool is an int in Python; true is not a score.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"required: a whole number from {MIN_SCORE} to {MAX_SCORE}")
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise ValueError(f"{value} is not from {MIN_SCORE} to {MAX_SCORE}")
    return value


Score = Annotated[int, BeforeValidator(_score), Field(ge=MIN_SCORE, le=MAX_SCORE)]


class RatingBody(BodyModel):
    error_id: ClassVar[str] = "invalid_rating"

    point_id: str = Field(min_length=1, description="the point that rates (received it)")
    rater: Annotated[str, BeforeValidator(_rater), Field(max_length=MAX_RATER_LENGTH)]
    clarity: Score
    completeness: Score
    correctness: Score
    comment: Annotated[
        Annotated[str, Field(max_length=MAX_COMMENT_LENGTH)] | None, BeforeValidator(_comment)
    ] = None


class RatingOut(BaseModel):
    contact_id: str
    point_id: str
    rater: str
    clarity: int
    completeness: int
    correctness: int
    comment: str | None
    agent_id: str
    line_code: str
    channel: str
    rated_at: str
    created: bool | None = None  # in the answer to a POST


class RatingList(BaseModel):
    ratings: list[RatingOut]


class RatingSummaryOut(BaseModel):
    key: str
    count: int
    averages: dict[str, float]


class RatingSummaries(BaseModel):
    by: str
    summaries: list[RatingSummaryOut]


class RatingQuery(BaseModel):
    point: str | None = None
    agent: str | None = None
    from_: str | None = Field(None, alias="from", description="ISO time; Europe/Brussels if naive")
    to: str | None = None


class RatingSummaryQuery(RatingQuery):
    by: str | None = Field(None, pattern="^(point|agent)$")


# --- the agent's desk and the wallboard (acd.desk_routes, issue 13) -----------------------

MAX_NOTE = 8000  # characters: a question and its details, not a document
MAX_REASON = 128
MAX_LINKS = 20
MAX_LINK = 2000


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    # Shown to the agent as a link: no javascript:, data: or file: URL, and a host to go to.
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


Link = Annotated[
    str,
    Field(max_length=MAX_LINK, json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]"}),
    AfterValidator(_http_url),
]


class CloseContactBody(BodyModel):
    """The agent's registration of their contact; the reason is checked against the line
    code's contact reasons by the engine (422 ``unknown_reason``)."""

    error_id: ClassVar[str] = "invalid_body"
    field_error_ids: ClassVar[dict[str, str]] = {
        "note": "invalid_note",
        "reason": "invalid_reason",
        "links": "invalid_links",
    }

    note: str = Field(max_length=MAX_NOTE, description="the agent's note; may be empty")
    reason: str = Field(max_length=MAX_REASON, description="one of the line code's reasons")
    links: list[Link] = Field(default_factory=list, max_length=MAX_LINKS)


class ContactCallbackOut(BaseModel):
    number: str
    callback_id: str | None
    # How long the citizen waited in the call in which they asked for the callback.
    original_wait_s: float | None


class AgentContactOut(BaseModel):
    """The agent's offer (``ringing``), call (``talking``) or call in ``wrap_up``."""

    contact_id: str
    state: str
    caller_number: str | None
    line: str | None
    line_code: str | None
    waited_s: float | None
    callback: ContactCallbackOut | None
    virtual_hold: bool
    since: str
    contact_reasons: list[str]
    closed: bool


class CloseContactOut(BaseModel):
    contact_id: str | None
    closed: bool
    activity: str


class AgentTodayOut(BaseModel):
    agent_id: str
    day: str
    contacts: int
    talk_time_s: float
    wrap_up_s: float
    average_handling_time_s: float | None
    # Seconds per presence today; not available per reason as "not_available:<reason>".
    presence_seconds: dict[str, float]


class PresenceReasonsOut(BaseModel):
    reasons: list[str]
    missed_reason: str


class WallboardAgentsOut(BaseModel):
    logged_in: int
    by_presence: dict[str, int]
    not_available_by_reason: dict[str, int]
    by_activity: dict[str, int]


class WallboardLineCodeOut(BaseModel):
    line_code: str
    waiting: int
    longest_wait_s: float
    offered: int
    answered: int
    abandoned: int
    answer_rate: float | None  # None: nobody answered or abandoned yet today
    answer_rate_ok: bool | None
    service_level: float | None
    agents: WallboardAgentsOut
    callbacks_pending: int
    callbacks_overdue: int


class WallboardLineOut(BaseModel):
    line: str
    name: str
    line_codes: list[WallboardLineCodeOut]


class WallboardOut(BaseModel):
    at: str
    answer_rate_target: float
    service_level_threshold_s: float
    lines: list[WallboardLineOut]


# --- listen / whisper / barge (acd.monitor_routes) ----------------------------------------

# A phone of the contact centre's own PBX: technology/resource, no "@" (no trunk, so the API
# cannot be used to dial out to any number).
ENDPOINT = re.compile(r"^(PJSIP|SIP|IAX2)/[A-Za-z0-9_.+-]{1,64}$")


def _endpoint(value: str) -> str:
    # fullmatch: "$" alone would let a trailing newline through.
    if not ENDPOINT.fullmatch(value):
        raise ValueError("must be a phone of the PBX such as PJSIP/2001 (no @: no trunk)")
    return value


Endpoint = Annotated[
    str, AfterValidator(_endpoint), Field(json_schema_extra={"pattern": ENDPOINT.pattern})
]


class MonitorBody(BodyModel):
    error_id: ClassVar[str] = "invalid_body"
    field_error_ids: ClassVar[dict[str, str]] = {
        "mode": "invalid_mode",
        "endpoint": "invalid_endpoint",
    }

    mode: MonitorMode
    endpoint: Endpoint | None = Field(
        None,
        description="the supervisor's own phone, e.g. PJSIP/2001 (no @: no trunk); default:"
        " the phone of the user's own agent",
    )


class MonitorStartOut(BaseModel):
    agent_id: str
    mode: MonitorMode
    endpoint: str
    state: str  # calling: the supervisor's phone rings


class MonitorStopOut(BaseModel):
    agent_id: str
    state: str


# --- engine nodes (acd.node_routes) ---------------------------------------------------------


class NodeOut(BaseModel):
    node_id: str
    started_at: str  # ISO 8601, UTC
    renewed_at: str  # the lease's last renewal
    lease_age_s: float
    # Contacts in progress on the node (waiting, ringing, talking): another node's as of its
    # last renewal, the answering node's as they are now.
    calls: int
    reservations: int  # agents it holds reserved for an offer


class NodeList(BaseModel):
    shared_state: str  # "memory" (one node) or "redis"
    this_node: str
    lease_ttl_s: float | None  # None: one node, no lease
    nodes: list[NodeOut]
