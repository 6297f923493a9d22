"""The request keys the guard sets for the handlers."""

from __future__ import annotations

from aiohttp import web

from acd.auth.model import Principal
from acd.auth.policy import RouteSpec

# Defined by callbacks.http (below acd, it cannot import this module), set here too.
from callbacks.http import VISIBLE_LINES

PRINCIPAL = web.RequestKey("principal", Principal)  # who the request runs as
SPEC = web.RequestKey("route_spec", RouteSpec)  # its entry in acd.auth.policy
TARGET_LINES = web.RequestKey[frozenset[str]]("target_lines")  # the lines of its target
# Set for a supervisor on a list route; absent: everything is visible.
VISIBLE_LINE_CODES = web.RequestKey[frozenset[str]]("visible_line_codes")
VISIBLE_AGENTS = web.RequestKey[frozenset[str]]("visible_agents")
HIDE_CALLERS = web.RequestKey("hide_callers", bool)  # reporting: figures, no callers' numbers
# Set only in the process, never from the wire: the principal another node let in, on a desk
# request it forwarded to this node (acd.desk_forwarding).
FORWARDED_PRINCIPAL = web.RequestKey("forwarded_principal", Principal)

__all__ = [
    "FORWARDED_PRINCIPAL",
    "HIDE_CALLERS",
    "PRINCIPAL",
    "SPEC",
    "TARGET_LINES",
    "VISIBLE_AGENTS",
    "VISIBLE_LINES",
    "VISIBLE_LINE_CODES",
]
