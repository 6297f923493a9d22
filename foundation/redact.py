"""Credentials out of text that reaches logs, errors and API output.

A URL may carry a password (``http://user:secret@host``, ``postgresql+asyncpg://acd:pw@db/acd``);
whoever logs or reports a URL logs :func:`redact_url` of it.
"""

from __future__ import annotations

import re

# The userinfo of a URL's authority: after "//", up to the last "@" before the path.  Greedy, so
# a password holding an unencoded "@" is hidden whole.
_USERINFO = re.compile(r"(?<=//)([^/?#\s]*)@")


def redact_url(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (the user is kept: it
    helps to see which account was used, and is not a secret)."""

    def hide(match: re.Match[str]) -> str:
        user, colon, _ = match[1].partition(":")
        return f"{user}:***@" if colon else f"{user}@"

    return _USERINFO.sub(hide, url, count=1)


def has_userinfo(url: str) -> bool:
    """Whether ``url`` names a user (and perhaps a password) before its host."""
    return _USERINFO.search(url) is not None
