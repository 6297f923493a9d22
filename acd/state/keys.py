"""Every Redis key name the shared state uses, in one place.

Each key is a template with one ``{}`` for an id; :class:`Keys` fills them in Python and
:func:`lua_prelude` turns the same templates into Lua functions for the scripts that must find
keys themselves (a dead node's reservations).  All keys start with one prefix that carries a
Redis Cluster hash tag (``{acd}:`` by default), so every script's keys sit in one slot.
"""

from __future__ import annotations

import re

AGENTS = "agents"  # set: every agent id in the store
AGENT = "agent:{}"  # hash: presence, reason, activity, skills (JSON), idle_since
AGENT_DAY = "agent-day:{}"  # hash: counter name -> count; id is "<agent>|<YYYY-MM-DD>"
SEQ = "seq"  # counter: arrival order of waiting contacts
WAITING = "waiting:{}"  # sorted set per line code: contact id by (priority, arrival)
CONTACT = "contact:{}"  # hash: line_code, priority, since, node_id, seq
STEPS = "steps"  # sorted set: contact id by the time its routing step moves on
RESERVED = "reserved:{}"  # hash per agent: node_id, contact_id (absent: not reserved)
NODE_RESERVED = "node-reserved:{}"  # set per node: the agents it holds reserved
NODES = "nodes"  # sorted set: node id by the time its lease was last renewed
NODE = "node:{}"  # hash per node: started_at, renewed_at, calls (expires with the lease)
# stream: every change to an agent's shared record, in the order the records changed (the
# nodes' replicas of the agent pool read it; acd.state.pool)
AGENT_FEED = "agent-feed"
# list per node: the desk requests other nodes forward to it, for the agents' calls it holds
# (acd.state.desk_link); expires when no node forwards for a while
DESK_REQUESTS = "desk-requests:{}"
DESK_REPLY = "desk-reply:{}"  # list per forwarded request: its one answer, short-lived

_PREFIX = re.compile(r"[A-Za-z0-9_.:{}-]{1,64}")
DEFAULT_PREFIX = "{acd}:"


def checked_prefix(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"redis key prefix {prefix!r}: 1 to 64 of letters, digits and _ . : {{ }} -"
        )
    return prefix


class Keys:
    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = checked_prefix(prefix)

    def _key(self, template: str, ident: str = "") -> str:
        return self.prefix + template.format(ident)

    @property
    def agents(self) -> str:
        return self._key(AGENTS)

    def agent(self, agent_id: str) -> str:
        return self._key(AGENT, agent_id)

    def agent_day(self, agent_id: str, day: str) -> str:
        return self._key(AGENT_DAY, f"{agent_id}|{day}")

    @property
    def seq(self) -> str:
        return self._key(SEQ)

    def waiting(self, line_code: str) -> str:
        return self._key(WAITING, line_code)

    def contact(self, contact_id: str) -> str:
        return self._key(CONTACT, contact_id)

    @property
    def steps(self) -> str:
        return self._key(STEPS)

    def reserved(self, agent_id: str) -> str:
        return self._key(RESERVED, agent_id)

    def node_reserved(self, node_id: str) -> str:
        return self._key(NODE_RESERVED, node_id)

    @property
    def nodes(self) -> str:
        return self._key(NODES)

    def node(self, node_id: str) -> str:
        return self._key(NODE, node_id)

    @property
    def agent_feed(self) -> str:
        return self._key(AGENT_FEED)

    def desk_requests(self, node_id: str) -> str:
        return self._key(DESK_REQUESTS, node_id)

    def desk_reply(self, request_id: str) -> str:
        return self._key(DESK_REPLY, request_id)

    def pattern(self) -> str:
        """A SCAN pattern for every key under this prefix (tests clean up with it)."""
        return re.sub(r"([*?\[\]])", r"\\\1", self.prefix) + "*"


def lua_prelude() -> str:
    """Lua key builders from the same templates; the prefix is the script's ARGV[1]."""
    lines = ["local P = ARGV[1]"]
    for name, template in (
        ("k_agent", AGENT),
        ("k_contact", CONTACT),
        ("k_waiting", WAITING),
        ("k_reserved", RESERVED),
        ("k_node_reserved", NODE_RESERVED),
        ("k_node", NODE),
    ):
        head, tail = template.split("{}")
        lines.append(f"local function {name}(id) return P .. {head!r} .. id .. {tail!r} end")
    return "\n".join(lines).replace("'", '"') + "\n"
