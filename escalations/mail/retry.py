"""When a failed escalation mail is tried again: pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryRules:
    # The first retry comes after ``first``; each next one after twice as long, up to ``most``.
    first: timedelta = timedelta(seconds=30)
    most: timedelta = timedelta(minutes=30)
    # How long a sender may hold a mail it claimed before another (or itself after a restart)
    # takes it up again; longer than one delivery attempt may take (the transports' timeout).
    claim: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if self.first <= timedelta(0):
            raise ValueError("the first retry delay must be positive")
        if self.most < self.first:
            raise ValueError("the longest retry delay must be at least the first one")

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed attempt (1 for the first)."""
        if attempts < 1:
            raise ValueError(f"attempts must be 1 or more, not {attempts}")
        # Capped before multiplying: 2**attempts would overflow timedelta after a long outage.
        doublings: int = min(attempts - 1, 32)
        grown: timedelta = self.first * (1 << doublings)
        return min(self.most, grown)
