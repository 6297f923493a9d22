"""Callbacks (terugbelafspraken): offered to callers who wait too long, stored durably, placed
within a number of working days at calm moments, and never lost.

:mod:`callbacks.model` holds the data, :mod:`callbacks.schedule` the pure rules (deadlines,
retries, urgency, calm moments, crash recovery), :mod:`callbacks.store` the SQL store with its own
Alembic migrations (run :func:`migrate` before opening it), :mod:`callbacks.http` the API
routes.  The settings build the rules (``CallbackSettings.rules``); ``acd callbacks``
lives with the other commands in :mod:`acd.callbacks_cli`.
"""

from callbacks.migrate import migrate
from callbacks.model import (
    CITIZEN_RESULTS,
    OPEN_STATUSES,
    Attempt,
    AttemptResult,
    Callback,
    CallbackStatus,
)
from callbacks.schedule import CallbackRules, CalmThresholds, Outcome
from callbacks.store import CallbackStore
from foundation.errors import CallbackError, CallbackInvalid, CallbackNotFound, CallbackWrongState

__all__ = [
    "CITIZEN_RESULTS",
    "OPEN_STATUSES",
    "Attempt",
    "AttemptResult",
    "Callback",
    "CallbackError",
    "CallbackInvalid",
    "CallbackNotFound",
    "CallbackRules",
    "CallbackStatus",
    "CallbackStore",
    "CallbackWrongState",
    "CalmThresholds",
    "Outcome",
    "migrate",
]
