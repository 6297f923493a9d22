"""An outage of something the engine depends on (ARI's events stream, Redis, the records
database): logged once when it starts and once when it ends, and visible as
``acd_dependency_up{dependency}`` and ``acd_dependency_outages_total{dependency}``.

The parts that reach a dependency retry on their own schedule (the events stream's backoff,
the node lease's renewals, the records writer's backoff) and tell the outage what they saw;
every retry in between is silent here, so a minute's outage is two log lines, not sixty.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from foundation.errors import one_line

log = logging.getLogger(__name__)

# (dependency, up, began): sla.metrics.EngineMetrics.dependency, or anything like it.
Notify = Callable[..., None]


def _now() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


class Outage:
    def __init__(self, dependency: str, notify: Notify | None = None) -> None:
        self.dependency = dependency
        self.down_since: float | None = None  # on the loop's clock (virtual in tests)
        self.began = 0  # outages that began, for tests and status
        self._notify: list[Notify] = [] if notify is None else [notify]
        self._why = ""

    @property
    def up(self) -> bool:
        return self.down_since is None

    def watch(self, notify: Notify) -> None:
        """Also tell ``notify`` (the metrics) of every change, starting with the state now."""
        self._notify.append(notify)
        notify(self.dependency, self.up)

    def failed(self, why: object) -> bool:
        """The dependency failed us; True if that starts an outage (logged, counted)."""
        if self.down_since is not None:
            return False
        self.down_since = _now()
        self.began += 1
        self._why = one_line(why)
        log.error("%s outage began: %s", self.dependency, self._why)
        for notify in self._notify:
            notify(self.dependency, False, began=True)
        return True

    def recovered(self, how: str = "") -> bool:
        """The dependency answers again; True if that ends an outage (logged)."""
        if self.down_since is None:
            return False
        lasted = _now() - self.down_since
        self.down_since = None
        log.warning(
            "%s outage over after %.1f s%s (it began with: %s)",
            self.dependency,
            lasted,
            f"; {how}" if how else "",
            self._why,
        )
        for notify in self._notify:
            notify(self.dependency, True)
        return True


def unreachable(error: BaseException, _depth: int = 0) -> bool:
    """Whether a failure means a dependency (the database, Redis) cannot be reached (an
    outage), rather than that it refused what was asked."""
    if isinstance(error, OSError | TimeoutError | ConnectionError):
        return True
    # SQLAlchemy's wrappers (OperationalError, InterfaceError: refused, closed, reset; any
    # DBAPIError that invalidated its connection), asyncpg's and redis-py's own classes.
    name = type(error).__name__
    if getattr(error, "connection_invalidated", False) or name in _UNREACHABLE_NAMES:
        return True
    cause = error.__cause__ or error.__context__
    return cause is not None and _depth < 5 and unreachable(cause, _depth + 1)


_UNREACHABLE_NAMES = frozenset(
    {
        "OperationalError",
        "InterfaceError",
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionError",  # redis.exceptions, not the builtin
        "TimeoutError",
    }
)
