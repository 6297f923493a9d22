"""The project's exception tree.  Lower-layer errors are translated into these in one place each
(ARI HTTP errors in ``acd.ari.client``, config errors in ``acd.settings``, HTTP API errors in
``acd.api``), so callers catch the most specific meaning, never a transport detail.

    AcdError
    +-- ConfigError            a config file is wrong: file, key, reason
    +-- AriError               the ARI server refused or failed a request
    |   +-- AriUnavailable     no connection / timeout
    |   +-- AriBadRequest      400: a parameter is missing or wrong
    |   +-- AriUnauthorized    401/403
    |   +-- AriNotFound        404: the channel/bridge/playback is gone (a normal race)
    |   +-- AriWrongState      409/412/422: it exists but not in a state that allows this
    |   +-- AriAllocationFailed 500 "Allocation failed": the endpoint cannot be dialled
    |   +-- AriServerError     other 5xx
    +-- ApiError               an HTTP API request is refused: status, stable id, message
    +-- UnknownAgent           no agent with that id in the configuration
    +-- RefusedTransition      an agent request that does not fit the agent's state or config
    +-- IllegalTransition      an engine state machine asked for a move its table forbids
"""

from __future__ import annotations

from typing import Any


class AcdError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(AcdError):
    """A configuration mistake, refused at start: ``file: key: reason``."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {reason}")


class ConfigErrors(AcdError):
    """Several configuration mistakes found at once; each is a :class:`ConfigError`."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class AriError(AcdError):
    """An ARI request failed.  ``status`` is the HTTP status (0 when no answer came)."""

    def __init__(self, status: int, message: str, method: str = "", path: str = "") -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {status} {message}".strip())


class AriUnavailable(AriError):
    """The ARI server could not be reached or did not answer in time."""


class AriBadRequest(AriError):
    """400: a required parameter is missing or wrong."""


class AriUnauthorized(AriError):
    """401/403: wrong ARI user or password."""


class AriNotFound(AriError):
    """404: the resource is gone.  For a channel this is a normal race (it hung up)."""


class AriWrongState(AriError):
    """409/412/422: the resource exists but is not in a state that allows the request."""


class AriAllocationFailed(AriError):
    """500 ``Allocation failed``: the endpoint or technology cannot be dialled."""


class AriServerError(AriError):
    """Any other 5xx."""


class ApiError(AcdError):
    """An HTTP API request refused: rendered as ``{"status", "error", "message", "details"}``."""

    def __init__(
        self, status: int, error_id: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        self.status = status
        self.error_id = error_id
        self.message = message
        self.details = details or {}
        super().__init__(f"{status} {error_id}: {message}")


class UnknownAgent(AcdError):
    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        super().__init__(f"no agent with id {agent_id!r}")


class RefusedTransition(AcdError):
    """An agent request that does not fit the agent's state or the configuration."""

    def __init__(self, error_id: str, message: str) -> None:
        self.error_id = error_id
        super().__init__(message)


class IllegalTransition(AcdError):
    """A state machine of the engine was asked for a move its transition table does not allow
    (a bug, or an input the guards let through): refused, the state stays as it was."""
