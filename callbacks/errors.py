"""What the callback store refuses, under :class:`foundation.errors.AcdError`; the HTTP routes turn
each into a JSON error with its own status and id.

    CallbackError
    +-- CallbackNotFound     no callback with that id
    +-- CallbackWrongState   it exists, but its status does not allow the change
    +-- CallbackInvalid      the change itself makes no sense (a time after the deadline)
"""

from __future__ import annotations

from callbacks.model import CallbackStatus
from foundation.errors import AcdError


class CallbackError(AcdError):
    """Base of the callback store's refusals; ``callback_id`` names the callback."""

    def __init__(self, callback_id: str, message: str) -> None:
        self.callback_id = callback_id
        super().__init__(message)


class CallbackNotFound(CallbackError):
    def __init__(self, callback_id: str) -> None:
        super().__init__(callback_id, f"no callback {callback_id!r}")


class CallbackWrongState(CallbackError):
    def __init__(self, callback_id: str, status: CallbackStatus, action: str) -> None:
        self.status = status
        super().__init__(
            callback_id, f"callback {callback_id!r} is {status.value}: it cannot be {action}"
        )


class CallbackInvalid(CallbackError):
    """The request names a real callback but asks for something impossible."""
