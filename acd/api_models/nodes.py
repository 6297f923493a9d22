"""The models of the engine nodes (:mod:`acd.node_routes`)."""

from __future__ import annotations

from pydantic import BaseModel


class NodeOut(BaseModel):
    node_id: str
    started_at: str  # ISO 8601, UTC
    renewed_at: str  # the lease's last renewal
    lease_age_s: float
    # Contacts in progress on the node (waiting, ringing, talking): another node's as of its
    # last renewal, the answering node's as they are now.
    calls: int
    reservations: int  # agents it holds reserved for an offer


class NodeList(BaseModel):
    shared_state: str  # "memory" (one node) or "redis"
    this_node: str
    lease_ttl_s: float | None  # None: one node, no lease
    nodes: list[NodeOut]
