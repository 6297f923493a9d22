"""The routing core's exceptions: one small tree, so the engine can catch ``RoutingError``.

A bad configuration is refused with the key that is wrong (:class:`ConfigError`); a call that
does not fit the router's state (an unknown id, a requeue of a contact that was never offered)
is a programming error in the caller and raises without changing anything.
"""

from __future__ import annotations

Path = tuple[str | int, ...]


class RoutingError(Exception):
    """Base of every error raised by the ``skills`` package."""


class ConfigError(RoutingError, ValueError):
    """A routing configuration that can not work, with where it is wrong."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{format_path(path)}: {reason}" if path else reason)

    def under(self, *prefix: str | int) -> ConfigError:
        """The same problem, located inside an enclosing key."""
        return ConfigError((*prefix, *self.path), self.reason)


class UnknownAgent(RoutingError, KeyError):
    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        super().__init__(f"no agent {agent_id!r}: register it with set_agent first")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownContact(RoutingError, KeyError):
    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id
        super().__init__(f"no contact {contact_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidTransition(RoutingError):
    """A call that does not fit the agent's or contact's current state."""


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
