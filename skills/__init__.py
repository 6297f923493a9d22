"""The routing core: skills with proficiency, steps that widen over waiting time, agent
selection policies, and the incremental :class:`Router` that matches contacts to agents.

Pure code over plain data: no I/O, no asyncio, no clock of its own (``now`` is passed in).
"""

from foundation.errors import (
    InvalidRoutingTransition,
    RoutingConfigError,
    RoutingError,
    UnknownRoutingAgent,
    UnknownRoutingContact,
)
from skills.model import (
    AgentStats,
    LineCodeRouting,
    Match,
    Policy,
    RankKey,
    RoutingConfig,
    Step,
)
from skills.reservations import InMemoryReservations, Reservations
from skills.router import Router

__all__ = [
    "AgentStats",
    "InMemoryReservations",
    "InvalidRoutingTransition",
    "LineCodeRouting",
    "Match",
    "Policy",
    "RankKey",
    "Reservations",
    "Router",
    "RoutingConfig",
    "RoutingConfigError",
    "RoutingError",
    "Step",
    "UnknownRoutingAgent",
    "UnknownRoutingContact",
]
