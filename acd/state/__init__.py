"""Shared state for several engine nodes: one Protocol, an in-memory and a Redis store.

See docs/architecture.md, "Several nodes".  :class:`StateStore` is what nodes share (agents,
waiting contacts, routing-step expiries, reservations, node membership);
:class:`MemoryStateStore` is the single-node default and the reference the contract tests
hold :class:`RedisStateStore` to.
"""

from acd.state.memory import MemoryStateStore
from acd.state.model import (
    AgentChange,
    NodeInfo,
    PoolSnapshot,
    Reservation,
    SharedAgent,
    StateStore,
    StateStoreError,
    WaitingContact,
)
from acd.state.redis_store import RedisStateStore

__all__ = [
    "AgentChange",
    "MemoryStateStore",
    "NodeInfo",
    "PoolSnapshot",
    "RedisStateStore",
    "Reservation",
    "SharedAgent",
    "StateStore",
    "StateStoreError",
    "WaitingContact",
]
