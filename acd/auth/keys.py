"""The request keys the guard sets for the handlers (plain strings: ``callbacks.http``, below
``acd``, reads VISIBLE_LINES by its value)."""

from __future__ import annotations

PRINCIPAL = "acd.principal"  # the acd.auth.model.Principal the request runs as
SPEC = "acd.route"  # its acd.auth.policy.RouteSpec
TARGET_LINES = "acd.target_lines"  # the lines the route's target belongs to
# Set for a supervisor on a list route; absent: everything is visible.
VISIBLE_LINES = "acd.visible_lines"  # frozenset of line ids
VISIBLE_LINE_CODES = "acd.visible_line_codes"  # frozenset of line codes
VISIBLE_AGENTS = "acd.visible_agents"  # frozenset of agent ids
HIDE_CALLERS = "acd.hide_callers"  # reporting: figures without the callers' numbers
