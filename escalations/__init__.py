"""Escalation points (escalatiepunten): back-office services that take hard questions, by
phone transfer inside their reachability windows or by e-mail.

:mod:`escalations.model` holds the data and the seed's rules for one point,
:mod:`escalations.rules` the pure rules over a moment (scheduled changes, deviating dates,
reachability windows, what an agent may do now, every line code covered),
:mod:`escalations.store` the store contract with its in-memory implementation and
:mod:`escalations.sql_store` the SQL one (own Alembic migrations: run :func:`migrate` first).
The settings load ``escalation_points.yaml`` (:mod:`acd.settings.escalations`); the API
routes and ``acd escalation`` live with the engine's other routes and commands.
"""

from escalations.migrate import migrate
from escalations.model import (
    DEFAULT_HANDLING_DAYS,
    DEFAULT_LINE_CODE,
    TIMEZONE,
    Deviation,
    EscalationPoint,
    MailChannel,
    ScheduledChange,
    TransferMode,
    phone_to_e164,
)
from escalations.rules import (
    PointOptions,
    Refusal,
    TransferCheck,
    Window,
    as_of,
    check_transfer,
    handling_due,
    options,
    reachability,
    uncovered_line_codes,
)
from escalations.sql_store import SqlEscalationStore
from escalations.store import EscalationStore, MemoryEscalationStore

__all__ = [
    "DEFAULT_HANDLING_DAYS",
    "DEFAULT_LINE_CODE",
    "TIMEZONE",
    "Deviation",
    "EscalationPoint",
    "EscalationStore",
    "MailChannel",
    "MemoryEscalationStore",
    "PointOptions",
    "Refusal",
    "ScheduledChange",
    "SqlEscalationStore",
    "TransferCheck",
    "TransferMode",
    "Window",
    "as_of",
    "check_transfer",
    "handling_due",
    "migrate",
    "options",
    "phone_to_e164",
    "reachability",
    "uncovered_line_codes",
]
