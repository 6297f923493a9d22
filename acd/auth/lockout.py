"""Failed logins counted per username and per remote address, on the engine's clock.

After ``max_failures`` failures within ``window_s`` a key is locked for ``lockout_s``; a
successful login clears the username's count (not the address's: one address trying many
usernames is what the address count is for).  Kept in memory: a restart forgets the counts,
which costs an attacker one restart of the engine per ``max_failures`` guesses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# Past this many keys (each a username or address that failed), the stale ones are dropped:
# someone trying many made-up usernames must not grow the table without end.
PRUNE_ABOVE = 10_000


@dataclass
class _Count:
    first_at: float
    failures: int = 0
    locked_until: float | None = None


@dataclass
class Lockout:
    now: Callable[[], float]  # monotonic seconds (the engine clock's)
    max_failures: int
    window_s: float
    lockout_s: float
    _counts: dict[str, _Count] = field(default_factory=dict)

    def locked_for(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None if it may now."""
        count = self._counts.get(key)
        if count is None or count.locked_until is None:
            return None
        left = count.locked_until - self.now()
        if left > 0:
            return left
        del self._counts[key]  # the lockout ran out: a fresh start
        return None

    def failed(self, key: str) -> bool:
        """Count a failure; True if ``key`` is locked by it."""
        now = self.now()
        if len(self._counts) > PRUNE_ABOVE:
            self._prune(now)
        count = self._counts.get(key)
        if count is None or now - count.first_at > self.window_s:
            count = self._counts[key] = _Count(first_at=now)
        count.failures += 1
        if count.failures >= self.max_failures:
            count.locked_until = now + self.lockout_s
            return True
        return False

    def succeeded(self, key: str) -> None:
        self._counts.pop(key, None)

    def _prune(self, now: float) -> None:
        for key, count in list(self._counts.items()):
            locked = count.locked_until is not None and count.locked_until > now
            if not locked and now - count.first_at > self.window_s:
                del self._counts[key]
