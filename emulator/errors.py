"""The one exception the simulated PBX raises for a refused request.

PBX operations raise :class:`AriHttpError` with the status and message real Asterisk 22 answers
(see ``res/ari/resource_*.c``), so the REST layer and the Python API share one code path and one
wording.  Note the body key: Asterisk answers ``{"message": ...}`` for almost every error but
``{"error": "Allocation failed"}`` when a channel cannot be allocated.
"""

from __future__ import annotations


class AriHttpError(Exception):
    """A request the PBX refuses, rendered as an Asterisk-shaped JSON error body."""

    def __init__(self, status: int, message: str, *, key: str = "message") -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.key = key

    def body(self) -> dict[str, str]:
        return {self.key: self.message}


def bad_request(message: str) -> AriHttpError:
    return AriHttpError(400, message)


def not_found(message: str) -> AriHttpError:
    return AriHttpError(404, message)


def conflict(message: str) -> AriHttpError:
    return AriHttpError(409, message)


def precondition_failed(message: str) -> AriHttpError:
    return AriHttpError(412, message)


def unprocessable(message: str) -> AriHttpError:
    return AriHttpError(422, message)


def allocation_failed() -> AriHttpError:
    """What Asterisk answers for an unknown technology, endpoint or unreachable registration."""
    return AriHttpError(500, "Allocation failed", key="error")
