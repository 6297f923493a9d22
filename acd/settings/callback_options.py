"""A line's callbacks (``lines.yaml``, key ``callbacks``): when the offer comes, how the caller
answers it, the deadline in working days, how often and how far apart the citizen is tried, and
what counts as a calm moment for placing one.

Off unless a line turns it on.  Default prompts are ``sound:acd-callback-*`` files a deployment
records in its own language.  :meth:`CallbackSettings.rules` turns these into the pure rules of
:mod:`callbacks.schedule`.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import (
    Count,
    CountOrZero,
    DtmfDigit,
    Prompts,
    RegionCode,
    Seconds,
    SecondsOrZero,
)
from acd.settings.problems import field_error
from callbacks.schedule import CallbackRules, CalmThresholds
from foundation.calendars import Calendar


class CallbackMode(StrEnum):
    """What accepting the offer means."""

    # The caller hangs up; an agent calls back at a calm moment before the deadline.
    CALLBACK = "callback"
    # The caller hangs up but keeps their place in the queue; called back when it is their turn.
    VIRTUAL_HOLD = "virtual_hold"


class CallbackPrompts(ConfigModel):
    """What the caller hears while asking for a callback, and the citizen when it comes."""

    offer: Prompts = ("sound:acd-callback-offer",)  # press accept to be called back
    # The caller's own number is read out after this; keep it, or key in another one.
    confirm_number: Prompts = ("sound:acd-callback-confirm-number",)
    enter_number: Prompts = ("sound:acd-callback-enter-number",)
    invalid_number: Prompts = ("sound:acd-callback-invalid-number",)
    foreign_number: Prompts = ("sound:acd-callback-foreign-number",)  # allow_foreign is off
    accepted: Prompts = ("sound:acd-callback-accepted",)
    # The same number already waits for a callback about this line code: one call will do.
    merged: Prompts = ("sound:acd-callback-merged",)
    # It could not be stored (the database is down): the caller stays in the queue.
    unavailable: Prompts = ("sound:acd-callback-unavailable",)
    greeting: Prompts = ("sound:acd-callback-greeting",)  # to the citizen who answers


class CallbackDigits(ConfigModel):
    """The keys of the offer and of the number confirmation."""

    accept: DtmfDigit = "1"
    keep_number: DtmfDigit = "1"
    other_number: DtmfDigit = "2"
    end_number: DtmfDigit = "#"  # ends a keyed-in number

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.other_number == self.keep_number:
            raise field_error("other_number", f"{self.other_number!r} is also keep_number")
        if self.end_number in "0123456789":
            raise field_error("end_number", f"{self.end_number!r} would end the number early")
        # Numbers keyed in start with 0, so 0 cannot also mean "this number" or "another one".
        for name in ("keep_number", "other_number"):
            if getattr(self, name) == "0":
                raise field_error(name, "'0' could be the first digit of a keyed number")
        return self


class CallbackSettings(ConfigModel):
    enabled: bool = False
    mode: CallbackMode = CallbackMode.CALLBACK
    offer_after_s: Seconds = 150.0  # of waiting in the queue
    repeat_offer_s: SecondsOrZero = 0.0  # 0: offered once
    working_days: Count = 2  # due by the close of this many working days after the request
    max_attempts: Count = 3
    min_gap_s: SecondsOrZero = 3600.0  # between attempts that rang the citizen
    ring_timeout_s: Seconds = 30.0  # how long the citizen's phone rings per attempt
    allow_foreign: bool = False  # numbers outside default_region may be keyed in
    default_region: RegionCode = "BE"  # the country of numbers given without one
    number_timeout_s: Seconds = 10.0  # to key in a number, between digits
    # Calm: at most calm_max_waiting live callers wait for the line code and at least
    # calm_min_idle_agents of its agents are idle (calm_min_idle_agents - 1 stay free).
    calm_max_waiting: CountOrZero = 0
    calm_min_idle_agents: Count = 1
    prompts: CallbackPrompts = Field(default_factory=lambda: CallbackPrompts())
    digits: CallbackDigits = Field(default_factory=lambda: CallbackDigits())

    def rules(self, calendar: Calendar) -> CallbackRules:
        """The pure rules for a line: these settings and the line's calendar
        (``settings.line_calendar(line)``), which deadlines and attempts follow."""
        return CallbackRules(
            calendar=calendar,
            working_days=self.working_days,
            max_attempts=self.max_attempts,
            min_gap=timedelta(seconds=self.min_gap_s),
            calm=CalmThresholds(
                max_waiting=self.calm_max_waiting,
                min_idle_agents=self.calm_min_idle_agents,
            ),
        )
