"""The project's one exception tree; every package raises from here, nothing else subclasses
``Exception``.  Lower-layer errors are translated into these in one place each (ARI HTTP errors in
``acd.ari.client``, config errors in ``acd.settings``, HTTP API errors in ``acd.api``), so callers
catch the most specific meaning, never a transport detail.

    AcdError
    +-- ConfigError            a config file is wrong: file, key, reason
    +-- ConfigErrors           several ConfigErrors found at once
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
    +-- EngineAlreadyRunning   another live engine holds the lease on this ARI application
    +-- StartupRefused         the engine cannot start: storage unreachable, HTTP port taken, ...
    +-- NoDatabase             a read-only command names a database that does not exist
    +-- RoutingError           the routing core (``skills``) refuses
    |   +-- RoutingConfigError      (ValueError) routing data that can not work: key path, reason
    |   +-- UnknownRoutingAgent     (KeyError) the router has no agent with that id
    |   +-- UnknownRoutingContact   (KeyError) the router has no contact with that id
    |   +-- InvalidRoutingTransition a router call that does not fit the agent's/contact's state
    +-- IvrConfigError         (ValueError) an IVR dialogue's config that can not work
    |   +-- MenuConfigError
    |   +-- AnnouncementConfigError
    |   +-- CallbackOfferConfigError
    +-- CallbackError          the callback store refuses a change; ``callback_id`` names it
        +-- CallbackNotFound   no callback with that id
        +-- CallbackWrongState it exists, but its status does not allow the change
        +-- CallbackInvalid    the change itself makes no sense (a time after the deadline)

The ``ValueError`` and ``KeyError`` mixins are kept where callers rely on them: the settings'
pydantic validators turn a ``ValueError`` raised while building routing or IVR configs into a
``file: key: reason`` problem, and a lookup miss in the router reads as the ``KeyError`` it is.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

Path = tuple[str | int, ...]


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
        self,
        status: int,
        error_id: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.error_id = error_id
        self.message = message
        self.details = details or {}
        # Sent with the error: WWW-Authenticate with a 401, Retry-After with a 429.
        self.headers = headers or {}
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


# --- the routing core (skills) ---------------------------------------------------------------


class RoutingError(AcdError):
    """Base of every error raised by the ``skills`` package: a caller catching it around router
    calls sees refused calls and refused routing data alike."""


class RoutingConfigError(RoutingError, ValueError):
    """Routing data that can not work, with where (a key path) it is wrong."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{format_path(path)}: {reason}" if path else reason)


class UnknownRoutingAgent(RoutingError, KeyError):
    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        super().__init__(f"no agent {agent_id!r}: register it with set_agent first")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownRoutingContact(RoutingError, KeyError):
    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id
        super().__init__(f"no contact {contact_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidRoutingTransition(RoutingError):
    """A router call that does not fit the agent's or contact's current state; it changes
    nothing."""


def format_path(path: Path) -> str:
    """``("routing", "1700", "steps", 2)`` -> ``routing['1700'].steps[2]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


# --- IVR dialogues (ivr) ---------------------------------------------------------------------


class IvrConfigError(AcdError, ValueError):
    """An IVR dialogue's config that can not work: every problem found, ``key: reason; ...``."""


class MenuConfigError(IvrConfigError):
    pass


class AnnouncementConfigError(IvrConfigError):
    pass


class CallbackOfferConfigError(IvrConfigError):
    pass


# --- the callback store (callbacks) ----------------------------------------------------------


class CallbackError(AcdError):
    """Base of the callback store's refusals; ``callback_id`` names the callback.  The HTTP
    routes turn each into a JSON error with its own status and id."""

    def __init__(self, callback_id: str, message: str) -> None:
        self.callback_id = callback_id
        super().__init__(message)


class CallbackNotFound(CallbackError):
    def __init__(self, callback_id: str) -> None:
        super().__init__(callback_id, f"no callback {callback_id!r}")


class CallbackWrongState(CallbackError):
    # ``status`` is a ``callbacks.model.CallbackStatus``; typed as its base here because this
    # module sits below the callbacks package and imports nothing of it.
    def __init__(self, callback_id: str, status: Enum, action: str) -> None:
        self.status = status
        super().__init__(
            callback_id, f"callback {callback_id!r} is {status.value}: it cannot be {action}"
        )


class CallbackInvalid(CallbackError):
    """The request names a real callback but asks for something impossible."""


class IllegalTransition(AcdError):
    """A state machine of the engine was asked for a move its transition table does not allow
    (a bug, or an input the guards let through): refused, the state stays as it was."""


class EngineAlreadyRunning(AcdError):
    """Another engine holds the lease on this ARI application (URL + app name) and renewed it
    recently: starting would take the app from a live engine.  ``acd run --take-over`` does so
    on purpose."""

    def __init__(
        self,
        key: str,
        host: str,
        pid: int,
        since: datetime,
        renewed_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.key = key
        self.host = host
        self.pid = pid
        self.since = since
        self.renewed_at = renewed_at
        self.expires_at = expires_at
        super().__init__(
            f"another engine is running on ARI application {key}: host {host}, pid {pid}, "
            f"since {since.isoformat(timespec='seconds')}, last renewed "
            f"{renewed_at.isoformat(timespec='seconds')} (lease expires "
            f"{expires_at.isoformat(timespec='seconds')}); stop it, or start with --take-over"
        )


class StartupRefused(AcdError):
    """The engine cannot start, found before it touches the PBX: the database refuses the
    connection, the HTTP port is taken, ...  The message is one line an operator can act on,
    with no credentials in it."""


def one_line(error: object) -> str:
    """What an error says, in one line for an operator: its message's first line, or its
    type's name when the message is empty (some drivers raise errors that say nothing)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class NoDatabase(AcdError):
    """A read-only command names a database that does not exist (and must not create it)."""
