"""What a line does besides routing (``lines.yaml``): its calendar and closed messages, what
happens at closing time, the optional DTMF menu, queue announcements, what to do when no agent
is logged in for a line code, and how long a caller who hung up may rejoin their place.

Every key is optional.  Default prompts are ``sound:acd-*`` files a deployment records in its
own language; lines without a ``menu`` go straight to their default line code, and
announcements are off until a line turns them on, so existing configs behave as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Self

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import Count, Prompts, Seconds, SecondsOrZero, Text, dtmf_digit
from acd.settings.problems import describe, field_error
from foundation.calendars import Reason


class ClosedPrompts(ConfigModel):
    """Played to a caller who calls while the line is closed, by reason; then the call ends."""

    holiday: Prompts = ("sound:acd-closed-holiday",)
    weekend: Prompts = ("sound:acd-closed-weekend",)  # any weekday without weekly slots
    closure: Prompts = ("sound:acd-closed-closure",)
    outside_hours: Prompts = ("sound:acd-closed-outside-hours",)

    def for_reason(self, reason: Reason) -> tuple[str, ...]:
        """The prompts for a closed :class:`~foundation.calendars.Reason` (none for OPEN)."""
        if reason is Reason.OPEN:
            return ()
        prompts: tuple[str, ...] = getattr(self, reason.value)
        return prompts


class AtClosing(StrEnum):
    """What happens to callers still queued when the line closes."""

    KEEP_SERVING = "keep_serving"  # they stay until served or they hang up
    CLOSE_QUEUE = "close_queue"  # they hear the closing prompt and the call ends


def _dtmf_options(value: object) -> object:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping digit: line code, got {describe(value)}")
    for digit in value:
        try:
            dtmf_digit(str(digit))
        except ValueError as exc:
            raise field_error(str(digit), str(exc)) from None
    return value


MenuOptions = Annotated[
    Mapping[str, Text],
    BeforeValidator(_dtmf_options),
    AfterValidator(lambda options: MappingProxyType(dict(options))),
    PlainSerializer(dict, return_type=dict[str, str]),
]


class Menu(ConfigModel):
    """A DTMF menu after the welcome: each digit leads to one of the line's line codes.  A
    caller who keys nothing valid in ``max_tries`` goes to the line's default line code."""

    prompt: Prompts = Field(min_length=1)
    options: MenuOptions = Field(min_length=1)
    timeout_s: Seconds = 5.0  # how long to wait for a digit after the prompt
    max_tries: Count = 3
    invalid_prompt: Prompts = ("sound:acd-menu-invalid",)
    timeout_prompt: Prompts = ("sound:acd-menu-timeout",)
    interruptible: bool = True  # a digit keyed during the prompt stops it and counts


class Announcements(ConfigModel):
    """Position and estimated-wait announcements to queued callers, between music on hold."""

    enabled: bool = False
    first_after_s: SecondsOrZero = 30.0
    interval_s: Seconds = 60.0
    # No announcement sooner than this after any other prompt to the same caller (a callback
    # offer, say), so prompts never come back to back.
    min_gap_s: SecondsOrZero = 30.0
    position: bool = True
    estimated_wait: bool = True
    not_when_next: bool = True  # the caller who is next hears no position: it would be "1"

    @model_validator(mode="after")
    def _something_to_say(self) -> Self:
        if self.enabled and not (self.position or self.estimated_wait):
            raise ValueError("enabled, but neither position nor estimated_wait is on")
        return self


class NoAgentsAction(StrEnum):
    """What a contact does when no agent is logged in for its line code."""

    WAIT = "wait"  # queue anyway: agents may log in
    FALLBACK = "fallback"  # route to fallback_line_code instead
    MESSAGE = "message"  # play the prompt and end the call


class NoAgents(ConfigModel):
    action: NoAgentsAction = NoAgentsAction.WAIT
    fallback_line_code: Text | None = None
    prompt: Prompts = ()

    @model_validator(mode="after")
    def _action_has_what_it_needs(self) -> Self:
        if self.action is NoAgentsAction.FALLBACK and self.fallback_line_code is None:
            raise field_error("fallback_line_code", "is required when action is fallback")
        if self.action is NoAgentsAction.MESSAGE and not self.prompt:
            raise field_error("prompt", "is required when action is message")
        return self
