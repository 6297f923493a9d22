"""Small builders for callback tests: unique numbers (tests share one PostgreSQL database) and
a fixed working morning."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta

# Tuesday 30 March 2027, 10:00 in Brussels: a working day, hours 09:00-19:00.
MORNING = datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
DUE = MORNING + timedelta(days=2, hours=9)  # Thursday 19:00 in Brussels

_seq = itertools.count()


def number() -> str:
    """A Belgian mobile number no other test uses."""
    return f"+3247{secrets.randbelow(10**7):07d}"


def key() -> str:
    return f"request-{secrets.token_hex(6)}-{next(_seq)}"


def line() -> str:
    return f"line-{secrets.token_hex(4)}"
