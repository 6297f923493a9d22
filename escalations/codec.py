"""An escalation point as JSON-ready data and back: how the SQL store keeps a point's whole
document and how the API and ``acd escalation list --json`` show it.

:func:`to_data` and :func:`from_data` are inverses for points the model accepted; input from
people (YAML, API bodies) is validated by the settings models instead, which name the key that
is wrong.  The keys are the config file's, so a point read from the API can be sent back to it
as it is (``phone_e164``, derived, is the one key a client leaves out or the API ignores).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from escalations.model import (
    Deviation,
    EscalationPoint,
    MailChannel,
    ScheduledChange,
    TransferMode,
)
from foundation.calendars import WEEKDAYS, Slot


def to_data(point: EscalationPoint) -> dict[str, Any]:
    return {
        "id": point.id,
        "editorial_title": point.editorial_title,
        "public_title": point.public_title,
        "instructions": point.instructions,
        "content": point.content,
        "phone": point.phone,
        "phone_e164": point.phone_e164,
        "may_transfer": point.may_transfer,
        "transfer_mode": point.transfer_mode.value,
        "may_give_number": point.may_give_number,
        "email": point.email,
        "may_send_email": point.may_send_email,
        "may_give_email": point.may_give_email,
        "mail_channel": point.mail_channel.value,
        "email_template": point.email_template,
        "deviations": [_deviation_data(d) for d in point.deviations],
        "reachability": _weekly_data(point.reachability),
        "follows_public_holidays": point.follows_public_holidays,
        "scheduled_changes": [
            {"on": c.on.isoformat(), "set": _changes_data(c.changes)}
            for c in point.scheduled_changes
        ],
        "handling_days": point.handling_days,
        "handling_info": point.handling_info,
        "line_codes": list(point.line_codes),
        "reporting_organisation": point.reporting_organisation,
        "reporting_theme": point.reporting_theme,
        "editorial_domains": list(point.editorial_domains),
    }


def from_data(data: Mapping[str, Any]) -> EscalationPoint:
    values = _values(data)
    values["scheduled_changes"] = tuple(
        ScheduledChange(date.fromisoformat(c["on"]), _values(c["set"]))
        for c in data.get("scheduled_changes", ())
    )
    values.pop("phone_e164", None)  # derived from the phone number
    return EscalationPoint(**values)


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Model values from JSON data, for the keys present (a whole point or one change)."""
    values = dict(data)
    converters: dict[str, Any] = {
        "transfer_mode": TransferMode,
        "mail_channel": MailChannel,
        "deviations": lambda items: tuple(_deviation(d) for d in items),
        "reachability": _weekly,
        "line_codes": tuple,
        "editorial_domains": tuple,
    }
    for key, convert in converters.items():
        if key in values:
            values[key] = convert(values[key])
    return values


def _changes_data(changes: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "deviations":
            data[key] = [_deviation_data(d) for d in value]
        elif key == "reachability":
            data[key] = _weekly_data(value)
        elif isinstance(value, TransferMode | MailChannel):
            data[key] = value.value
        elif isinstance(value, tuple):
            data[key] = list(value)
        else:
            data[key] = value
    return data


def _deviation_data(deviation: Deviation) -> dict[str, Any]:
    return {
        "from": deviation.start.isoformat(),
        "to": deviation.end.isoformat(),
        "text": deviation.text,
        "slots": [str(s) for s in deviation.slots],
    }


def _deviation(data: Mapping[str, Any]) -> Deviation:
    return Deviation(
        date.fromisoformat(data["from"]),
        date.fromisoformat(data["to"]),
        data["text"],
        tuple(Slot.parse(s) for s in data.get("slots", ())),
    )


def _weekly_data(weekly: tuple[tuple[Slot, ...], ...]) -> dict[str, list[str]]:
    return {day: [str(s) for s in slots] for day, slots in zip(WEEKDAYS, weekly, strict=True)}


def _weekly(data: Mapping[str, list[str]]) -> tuple[tuple[Slot, ...], ...]:
    return tuple(tuple(Slot.parse(s) for s in data.get(day, ())) for day in WEEKDAYS)
