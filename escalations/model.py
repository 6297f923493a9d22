"""An escalation point (escalatiepunt) as plain frozen data, with the rules of the seed that
hold for one point on its own.

Each class checks its invariants on construction and raises :class:`ValueError` naming the
field, so a point built in code, loaded from ``escalation_points.yaml`` or sent to the API is
equally sound.  Dates and slots are wall-clock time in Europe/Brussels (``TIMEZONE``), as
editors write them.  The e-mail fields (address, template, channel, handling term and its
sentence) are plain values: the mail outbox (``escalations.mail``) reads them as they are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from foundation.calendars import WEEKDAYS, Slot
from foundation.calendars.model import check_slots

TIMEZONE = ZoneInfo("Europe/Brussels")
PHONE_REGION = "BE"
DEFAULT_LINE_CODE = "1700 Andere Vragen"
DEFAULT_HANDLING_DAYS = 5
DEFAULT_EMAIL_TEMPLATE = "1700"  # "Escalatie Template Detail 1700", the general template

# The seed: "Gebruik enkel spaties, geen schuine streep, geen punten": groups of digits with
# one space between them ("011 12 34 56", "02 553 21 00").
_PHONE = re.compile(r"[0-9]+( [0-9]+)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


class TransferMode(StrEnum):
    # The only mode the seed allows ("Laat dit op 'gesloten' staan"): the contact ends in the
    # contact centre once the question is transferred.
    CLOSED = "closed"


class MailChannel(StrEnum):
    """How the point receives escalation mails."""

    EMAIL = "email"
    CRM = "crm"


def phone_to_e164(text: str) -> str:
    """The seed's written form (digits, single spaces) in E.164 for dialling; ValueError with
    the reason when the text breaks the rule or is no valid Belgian number."""
    if not _PHONE.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a phone number as the seed writes them: digits with single"
            " spaces between groups (such as 011 12 34 56), no slashes, dots or letters"
        )
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number in Belgium")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def check_email(address: str) -> str:
    if not _EMAIL.fullmatch(address):
        raise ValueError(f"{address!r} is not an e-mail address (such as jacht@vlaanderen.be)")
    return address


@dataclass(frozen=True, slots=True)
class Deviation:
    """Deviating availability (afwijkende bereikbaarheid) from ``start`` to ``end`` inclusive:
    no phone transfers on those dates, or, with ``slots``, only within them.  ``text`` is what
    the agent may tell the caller ("Telefonisch niet bereikbaar op donderdag 12-12-2022").  It
    is left out of the point from the day after ``end`` (the seed asks editors to remove it
    then; the rules do it for them)."""

    start: date
    end: date
    text: str
    slots: tuple[Slot, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"deviating availability ends ({self.end}) before it starts")
        if not self.text.strip():
            raise ValueError("deviating availability needs a text for the caller")
        check_slots(self.slots)
        object.__setattr__(self, "slots", tuple(sorted(self.slots)))

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """An edit that takes effect on ``on`` (geplande wijziging): the fields in ``changes``
    replace the point's from that date.  ``changes`` holds model values (a phone number as
    text, slots as :class:`Slot`), never ``id`` or the schedule itself."""

    on: date
    changes: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not self.changes:
            raise ValueError(f"the change on {self.on} changes nothing")
        unknown = sorted(set(self.changes) - CHANGEABLE)
        if unknown:
            raise ValueError(
                f"the change on {self.on} names {', '.join(unknown)}, which a scheduled change"
                " cannot set"
            )
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))


def _no_slots() -> tuple[tuple[Slot, ...], ...]:
    return tuple(() for _ in WEEKDAYS)


@dataclass(frozen=True, slots=True)
class EscalationPoint:
    """A back-office service that takes hard questions, by phone transfer or by e-mail.

    ``phone`` is written as the seed prescribes; ``phone_e164`` is derived from it.
    ``may_transfer`` and ``may_send_email`` left open (None) follow whether a number / address
    is filled in, as the seed advises (see :attr:`transfer_allowed`); set to True without one
    they are refused.  ``reachability`` holds the weekly phone slots, Monday first: the hours
    in which agents may transfer.
    """

    id: str
    editorial_title: str
    public_title: str = ""  # "" means the same as the editorial title
    instructions: str = ""
    content: str = ""
    phone: str | None = None
    may_transfer: bool | None = None
    transfer_mode: TransferMode = TransferMode.CLOSED
    may_give_number: bool = False
    email: str | None = None
    may_send_email: bool | None = None
    may_give_email: bool = False
    mail_channel: MailChannel = MailChannel.EMAIL
    email_template: str = DEFAULT_EMAIL_TEMPLATE
    deviations: tuple[Deviation, ...] = ()
    reachability: tuple[tuple[Slot, ...], ...] = field(default_factory=_no_slots)
    # Belgian public holidays close the point's phone as they close 1700.
    follows_public_holidays: bool = True
    scheduled_changes: tuple[ScheduledChange, ...] = ()
    handling_days: int = DEFAULT_HANDLING_DAYS
    handling_info: str = ""
    line_codes: tuple[str, ...] = (DEFAULT_LINE_CODE,)
    reporting_organisation: str = ""
    reporting_theme: str = ""
    editorial_domains: tuple[str, ...] = ()
    phone_e164: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("id: must not be empty")
        if not self.editorial_title.strip():
            raise ValueError("editorial_title: must not be empty")
        if not self.public_title.strip():
            object.__setattr__(self, "public_title", self.editorial_title)
        self._check_contact()
        self._check_reachability()
        if self.handling_days < 1:
            raise ValueError("handling_days: must be at least 1 working day")
        if not self.line_codes:
            raise ValueError("line_codes: a point needs at least one line code")
        if len(set(self.line_codes)) != len(self.line_codes):
            raise ValueError("line_codes: a line code is listed twice")
        days = [change.on for change in self.scheduled_changes]
        if len(set(days)) != len(days):
            raise ValueError("scheduled_changes: more than one change on a date")
        object.__setattr__(
            self, "scheduled_changes", tuple(sorted(self.scheduled_changes, key=lambda c: c.on))
        )

    def _check_contact(self) -> None:
        if self.phone is not None:
            object.__setattr__(self, "phone_e164", _field("phone", phone_to_e164, self.phone))
        if self.email is not None:
            _field("email", check_email, self.email)
        if self.may_transfer and self.phone is None:
            raise ValueError("may_transfer: a phone transfer needs a phone number")
        if self.may_give_number and self.phone is None:
            raise ValueError("may_give_number: there is no phone number to give")
        if self.may_send_email and self.email is None:
            raise ValueError("may_send_email: sending the question needs an e-mail address")
        if self.may_give_email and self.email is None:
            raise ValueError("may_give_email: there is no e-mail address to give")
        if self.phone is None and self.email is None:
            raise ValueError("phone: a point needs a phone number or an e-mail address")

    def _check_reachability(self) -> None:
        if len(self.reachability) != len(WEEKDAYS):
            raise ValueError(f"reachability: needs {len(WEEKDAYS)} days (Monday first)")
        for day, slots in zip(WEEKDAYS, self.reachability, strict=True):
            _field(f"reachability.{day}", check_slots, slots)
        object.__setattr__(self, "reachability", tuple(tuple(sorted(s)) for s in self.reachability))
        ordered = sorted(self.deviations, key=lambda d: d.start)
        for earlier, later in itertools.pairwise(ordered):
            if later.start <= earlier.end:
                raise ValueError(
                    f"deviations: {later.start}..{later.end} overlaps"
                    f" {earlier.start}..{earlier.end}"
                )
        object.__setattr__(self, "deviations", tuple(ordered))

    @property
    def transfer_allowed(self) -> bool:
        """May agents transfer by phone (at the right hours)?  Without a number, never: the
        seed shows only the e-mail option then."""
        if self.phone is None:
            return False
        return True if self.may_transfer is None else self.may_transfer

    @property
    def email_allowed(self) -> bool:
        """May agents send the question to the point by e-mail (or CRM)?"""
        if self.email is None:
            return False
        return True if self.may_send_email is None else self.may_send_email

    def with_changes(self, changes: Mapping[str, Any]) -> EscalationPoint:
        """The point with ``changes`` applied, checked again as a whole.  Derived flags left
        to their default stay derived: a number removed by a change also removes the
        transfer unless the change says otherwise."""
        return replace(self, **changes)


# What a scheduled change may set: every field an editor writes, not the id, the schedule
# itself or the derived E.164 number.
CHANGEABLE = frozenset(
    f.name for f in fields(EscalationPoint) if f.init and f.name not in {"id", "scheduled_changes"}
)


def _field(name: str, check: Any, value: Any) -> Any:
    try:
        return check(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
