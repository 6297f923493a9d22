"""The models of listen / whisper / barge (:mod:`acd.monitor_routes`)."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field

from acd.engine.inputs import MonitorMode
from foundation.json_body import BodyModel

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
