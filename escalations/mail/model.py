"""What an e-mail escalation is about (the point, the caller) and what the outbox stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from foundation.errors import AcdError


class Via(StrEnum):
    """How an escalation point receives its mails (the seed's "E-mail" or "CRM")."""

    EMAIL = "email"
    CRM = "crm"


class MailStatus(StrEnum):
    # Stored, not tried yet (or waiting for its first try after a restart).
    PENDING = "pending"
    # Claimed by a sender until ``next_attempt_at``; a crash mid-send leaves it so, and it is
    # due again once that claim has run out.
    SENDING = "sending"
    DELIVERED = "delivered"
    # The last try failed in a way that may pass (server down, timeout, 4xx SMTP, 5xx HTTP).
    RETRYING = "retrying"
    # Refused for good (mailbox unknown, webhook says 4xx): retrying cannot help; an operator
    # reads the error in ``acd escalation outbox``.
    GIVEN_UP = "given_up"

    @property
    def is_waiting(self) -> bool:
        return self in WAITING_STATUSES


WAITING_STATUSES = frozenset({MailStatus.PENDING, MailStatus.SENDING, MailStatus.RETRYING})


@dataclass(frozen=True, slots=True)
class MailTarget:
    """What e-mail escalation needs of an escalation point (built from the point's model)."""

    point_id: str
    address: str  # the point's e-mail address; "" is allowed for CRM delivery
    via: Via
    template: str  # the template text (see :mod:`escalations.mail.template`)
    handling_term: str  # the caller-facing sentence about the handling term
    handling_term_days: int  # working days (default 5 in the seed)


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """The caller and the call an agent escalates."""

    number: str  # the caller's number as the engine knows it
    line: str
    line_code: str
    contact_id: str
    started_at: datetime  # aware
    agent_id: str
    agent_name: str = ""


@dataclass(frozen=True, slots=True)
class Mail:
    """One escalation mail in the outbox."""

    id: str
    request_key: str
    point_id: str
    via: Via
    address: str
    subject: str
    body: str
    contact_id: str
    agent_id: str
    status: MailStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None  # when a waiting mail is tried (again)
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    line_code: str = ""  # the contact's, for the escalation metrics ("" in mails before it)


class MailError(AcdError):
    """Base of e-mail escalation errors."""


class TemplateError(MailError, ValueError):
    """A template that cannot be used: refused when it is loaded, not when a mail is sent."""


class EmailEscalationRefused(MailError):
    """An escalation the configuration cannot deliver; ``error_id`` for the API's JSON error."""

    def __init__(self, error_id: str, message: str) -> None:
        self.error_id = error_id
        super().__init__(message)
