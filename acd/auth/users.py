"""The rules a user's role, agent and lines must follow (the CLI and the API check the same)."""

from __future__ import annotations

import re
from collections.abc import Collection

from acd.auth.model import Role

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def user_problem(
    username: str,
    role: Role,
    agent_id: str | None,
    lines: tuple[str, ...],
    agents: Collection[str],
    known_lines: Collection[str],
) -> str | None:
    """Why this user cannot be created, or None."""
    if not USERNAME.match(username):
        return "a username is 1-64 letters, digits and . _ @ -, starting with a letter or digit"
    if role is Role.AGENT and agent_id is None:
        return "an agent user needs the agent id they are (--agent)"
    if role is not Role.AGENT and agent_id is not None:
        return f"only an agent user is linked to an agent, not a {role}"
    if agent_id is not None and agent_id not in agents:
        return f"no agent {agent_id!r} in agents.yaml"
    # A reporting user's lines are their service's: the recordings they may hear.
    if lines and role not in (Role.SUPERVISOR, Role.REPORTING):
        return f"only a supervisor or a reporting user has lines, not a {role}"
    unknown = [line for line in lines if line not in known_lines]
    if unknown:
        return f"no line {', '.join(map(repr, unknown))} in lines.yaml"
    return None
