"""``escalation_points.yaml``: the escalation points (escalatiepunten) agents escalate to,
turned into :class:`escalations.EscalationPoint` for the rest of the engine.

The same model validates a point sent to the HTTP API, so a mistake reads the same in both:
``escalation_points[0].phone: '011/12.34.56' is not a phone number as the seed writes them``.
The rules that hold between files (line codes defined, every line code of the lines covered)
are in :mod:`acd.settings.checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, ValidationError, model_validator

from acd.settings.base import ConfigModel
from acd.settings.calendars import WeeklyConfig
from acd.settings.fields import DaySlots, Identifier, LocalDate, Text
from acd.settings.models import Line
from acd.settings.problems import field_error, problems_of
from escalations import (
    DEFAULT_HANDLING_DAYS,
    DEFAULT_LINE_CODE,
    Deviation,
    EscalationPoint,
    MailChannel,
    ScheduledChange,
    TransferMode,
    phone_to_e164,
)
from escalations.model import CHANGEABLE, DEFAULT_EMAIL_TEMPLATE, check_email
from foundation.calendars import Slot


def _phone(value: str) -> str:
    phone_to_e164(value)
    return value


PhoneNumber = Annotated[str, AfterValidator(_phone)]
EmailAddress = Annotated[str, AfterValidator(check_email)]


class DeviationConfig(ConfigModel):
    """Deviating availability on one ``date``, or ``from`` one date ``to`` another
    (inclusive), with the ``text`` agents may read to the caller; with ``slots``, the point
    can be reached only in those on these dates, else not at all."""

    date: LocalDate | None = None
    start: LocalDate | None = Field(default=None, alias="from")
    to: LocalDate | None = None
    text: Text
    slots: DaySlots = ()

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if self.date is not None:
            if self.start is not None or self.to is not None:
                raise ValueError("give either date, or from and to, not both")
            return self
        if self.start is None:
            raise field_error("from", "is required (or give one date)")
        if self.to is None:
            raise field_error("to", "is required with from")
        if self.to < self.start:
            raise field_error("to", f"must not be before from ({self.start})")
        return self

    def to_deviation(self) -> Deviation:
        start = self.date or self.start
        end = self.date or self.to
        if start is None or end is None:  # refused by validation; for the type checker
            raise ValueError("a deviation needs a date, or from and to")
        return Deviation(start, end, self.text, tuple(Slot.parse(s) for s in self.slots))


class ScheduledChangeConfig(ConfigModel):
    """From ``on``, the keys under ``set`` replace the point's (any key but ``id`` and
    ``scheduled_changes``); checked as the whole point they make."""

    on: LocalDate
    set: dict[str, Any] = Field(min_length=1)


class EscalationPointConfig(ConfigModel):
    """One escalation point, with every field of the seed (see :class:`EscalationPoint`)."""

    id: Identifier
    editorial_title: Text
    public_title: str = ""
    instructions: str = ""
    content: str = ""
    phone: PhoneNumber | None = None
    may_transfer: bool | None = None
    transfer_mode: Literal["closed"] = "closed"
    may_give_number: bool = False
    email: EmailAddress | None = None
    may_send_email: bool | None = None
    may_give_email: bool = False
    mail_channel: Literal["email", "crm"] = "email"
    email_template: Text = DEFAULT_EMAIL_TEMPLATE
    deviations: tuple[DeviationConfig, ...] = ()
    reachability: WeeklyConfig = Field(default_factory=lambda: WeeklyConfig())
    follows_public_holidays: bool = True
    scheduled_changes: tuple[ScheduledChangeConfig, ...] = ()
    handling_days: int = Field(default=DEFAULT_HANDLING_DAYS, ge=1)
    handling_info: str = ""
    line_codes: tuple[Text, ...] = Field(default=(DEFAULT_LINE_CODE,), min_length=1)
    reporting_organisation: str = ""
    reporting_theme: str = ""
    editorial_domains: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _sound(self) -> Self:
        # The model's own rules (a transfer needs a number, ...) and each scheduled change as
        # the whole point it makes, reported at the key that is wrong.
        _as_field_error((), lambda: EscalationPoint(id=self.id, **self._values(_BASE_FIELDS)))
        for index, change in enumerate(self.scheduled_changes):
            where = ("scheduled_changes", index, "set")
            unknown = sorted(set(change.set) - CHANGEABLE)
            if unknown:
                raise field_error((*where, unknown[0]), "cannot be set by a scheduled change")
            try:
                _changed(self, change)
            except ValidationError as exc:
                problem = problems_of(exc)[0]
                raise field_error((*where, *problem.loc), problem.reason) from None
        return self

    def to_point(self) -> EscalationPoint:
        changes = tuple(
            ScheduledChange(change.on, _changed(self, change)._values(change.set))
            for change in self.scheduled_changes
        )
        return EscalationPoint(id=self.id, scheduled_changes=changes, **self._values(_BASE_FIELDS))

    def _values(self, names: Iterable[str]) -> dict[str, Any]:
        """The model's values of the fields ``names``."""
        converted: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            if name == "transfer_mode":
                value = TransferMode(value)
            elif name == "mail_channel":
                value = MailChannel(value)
            elif name == "deviations":
                value = tuple(d.to_deviation() for d in value)
            elif name == "reachability":
                value = value.to_weekly()
            converted[name] = value
        return converted


_BASE_FIELDS = tuple(
    name for name in EscalationPointConfig.model_fields if name not in {"id", "scheduled_changes"}
)


def _changed(config: EscalationPointConfig, change: ScheduledChangeConfig) -> EscalationPointConfig:
    """The whole point as ``change`` makes it (validated; raises ValidationError)."""
    current = config.model_dump(by_alias=True, exclude={"scheduled_changes"})
    return EscalationPointConfig.model_validate(current | change.set)


def _as_field_error(where: tuple[str | int, ...], build: Callable[[], object]) -> None:
    try:
        build()
    except ValueError as exc:
        # The model says "field: reason" (or "field.sub: reason").
        key, _, reason = str(exc).partition(": ")
        path = tuple(part for part in key.split(".") if part)
        raise field_error((*where, *path), reason or str(exc)) from None


class EscalationPointsFile(ConfigModel):
    escalation_points: tuple[EscalationPointConfig, ...] = Field(min_length=1)


def points_of(configs: Iterable[EscalationPointConfig]) -> tuple[EscalationPoint, ...]:
    return tuple(config.to_point() for config in configs)


def line_code_users(lines: Iterable[Line | None]) -> Mapping[str, str]:
    """Each line code of the lines, with the first line that uses it (for messages)."""
    users: dict[str, str] = {}
    for line in lines:
        if line is None:
            continue
        for code in line.line_codes:
            users.setdefault(code, line.id)
    return users


__all__ = [
    "DeviationConfig",
    "EscalationPointConfig",
    "EscalationPointsFile",
    "ScheduledChangeConfig",
    "line_code_users",
    "points_of",
]
