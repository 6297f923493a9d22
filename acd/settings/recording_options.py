"""A line's call recording (``lines.yaml``, key ``recording``).

A share of calls is recorded, chosen per call (0: none unless a supervisor asks, 1: all), for
the line or per line code; the caller hears ``prompt`` ("this call may be recorded") before the
welcome when ``announce`` is on.  Recordings are ARI bridge recordings named by the contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PlainSerializer

from acd.settings.base import ConfigModel
from acd.settings.fields import Count, Prompts, Text

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
SharePerLineCode = Annotated[
    Mapping[Text, Share],
    AfterValidator(lambda shares: MappingProxyType(dict(shares))),
    PlainSerializer(dict, return_type=dict[str, float]),
]


class RecordingSettings(ConfigModel):
    share: Share = 0.0  # of the line's answered calls
    line_codes: SharePerLineCode = Field(default_factory=dict)  # a line code's own share
    announce: bool = False
    prompt: Prompts = ("sound:acd-may-be-recorded",)
    format: Literal["wav", "gsm", "ulaw", "alaw"] = "wav"
    retention_days: Count = 90

    def share_for(self, line_code: str) -> float:
        return self.line_codes.get(line_code, self.share)
