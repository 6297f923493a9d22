"""The models of the agent's desk and the wallboard (:mod:`acd.desk_routes`, issue 13)."""

from __future__ import annotations

from typing import Annotated, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field

from foundation.json_body import BodyModel

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
    # Occupancy: handling_s (on a call or its wrap-up) / staffed_s (logged in, not on a break).
    staffed_s: float
    handling_s: float
    occupancy: float | None


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
