"""``GET /api/nodes``: the engine nodes sharing the state, with their lease age and calls.

One node without a ``redis`` section lists itself; with one, every member of the shared
store (docs/architecture.md, "Several nodes")."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web

from acd.api_models.nodes import NodeList, NodeOut
from acd.engine.view import EngineView
from acd.state.model import OFFERING_ACTIVITIES, NodeInfo
from acd.state.node import NodeMembership
from foundation.clock import Clock


class NodesSource(Protocol):
    async def report(self) -> NodeList: ...


def calls_of(view: EngineView) -> int:
    return len(view.contacts)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _node_out(info: NodeInfo, now: float) -> NodeOut:
    return NodeOut(
        node_id=info.node_id,
        started_at=_iso(info.started_at),
        renewed_at=_iso(info.renewed_at),
        lease_age_s=round(info.lease_age(now), 3),
        calls=info.calls,
        reservations=info.reservations,
    )


class LocalNode:
    """The one node, from its own view: no lease, always fresh."""

    def __init__(self, view: Callable[[], EngineView], clock: Clock, node_id: str) -> None:
        self._view = view
        self._clock = clock
        self._node_id = node_id
        self._started = clock.now().timestamp()

    async def report(self) -> NodeList:
        view = self._view()
        now = self._clock.now().timestamp()
        reserved = sum(a.activity in OFFERING_ACTIVITIES for a in view.agents.values())
        info = NodeInfo(self._node_id, self._started, now, calls_of(view), reserved)
        return NodeList(
            shared_state="memory",
            this_node=self._node_id,
            lease_ttl_s=None,
            nodes=[_node_out(info, now)],
        )


class SharedNodes:
    """Every member of the shared store."""

    def __init__(
        self, membership: NodeMembership, lease_ttl_s: float, calls: Callable[[], int]
    ) -> None:
        self._membership = membership
        self._ttl_s = lease_ttl_s
        self._calls = calls

    async def report(self) -> NodeList:
        me = self._membership.node_id
        # Other nodes' calls as of their last renewal; this node's as they are now.
        nodes = [
            dataclasses.replace(n, calls=self._calls()) if n.node_id == me else n
            for n in await self._membership.nodes()
        ]
        now = self._membership.now()
        return NodeList(
            shared_state="redis",
            this_node=self._membership.node_id,
            lease_ttl_s=self._ttl_s,
            nodes=[_node_out(info, now) for info in nodes],
        )


NODES = web.AppKey[NodesSource]("nodes")


async def list_nodes(request: web.Request) -> web.Response:
    report: dict[str, Any] = (await request.app[NODES].report()).model_dump()
    return web.json_response(report)


def add_node_routes(app: web.Application, source: NodesSource) -> None:
    app[NODES] = source
    app.router.add_get("/api/nodes", list_nodes)
