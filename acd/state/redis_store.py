"""The shared store on Redis (redis-py asyncio): what several engine nodes share.

Key names are in :mod:`acd.state.keys`, the scripts in :mod:`acd.state.scripts`.  Reads of
one key are plain commands; every change to more than one key, and every check-then-change,
is one Lua script (or MULTI/EXEC), so other nodes see it whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import NoScriptError

from acd.state import scripts
from acd.state.keys import DEFAULT_PREFIX, Keys
from acd.state.model import (
    FEED_LENGTH,
    MAX_PRIORITY,
    AgentChange,
    NodeInfo,
    PoolSnapshot,
    Reservation,
    SharedAgent,
    StateStoreError,
    WaitingContact,
    checked_id,
    checked_priority,
)
from foundation.clock import Hold, no_hold

# Waiting order in one sorted-set score: the priority's band, then the arrival sequence.
# (2 * 999 + 1) bands of 2**40 stay below 2**53, where doubles stop counting exactly.
_BAND = 2**40

_T = TypeVar("_T")


def _score_base(priority: int) -> int:
    return (MAX_PRIORITY - priority) * _BAND


def _num(value: float) -> str:
    return repr(float(value))


def _text(fields: Mapping[Any, Any]) -> dict[str, str]:
    # The client decodes responses: its bytes-or-str types are always str here.
    return {str(name): str(value) for name, value in fields.items()}


def _texts(values: Iterable[Any]) -> list[str]:
    return [str(value) for value in values]


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return dict(zip(flat[0::2], flat[1::2], strict=True))


def _change(entry_id: str, entry: dict[str, str]) -> AgentChange:
    fields = {name[2:]: value for name, value in entry.items() if name.startswith("f:")}
    return AgentChange(
        entry_id, entry["agent"], entry["node"], fields, released=entry["kind"] == "released"
    )


class RedisStateStore:
    def __init__(
        self,
        client: Redis,
        prefix: str = DEFAULT_PREFIX,
        *,
        node_key_ttl_s: float = 60.0,
        hold: Hold = no_hold,
    ) -> None:
        """``client`` must decode responses (``decode_responses=True``).  A node's record
        expires ``node_key_ttl_s`` after its last renewal, so a node that is gone for good
        leaves nothing behind even if no other node reaps it."""
        self.client = client
        self._blocking: Redis | None = None
        self._hold = hold
        self.keys = Keys(prefix)
        self._node_ttl_ms = str(int(node_key_ttl_s * 1000))
        register = client.register_script
        self._set_presence = register(scripts.SET_PRESENCE)
        self._set_activity = register(scripts.SET_ACTIVITY)
        self._enqueue = register(scripts.ENQUEUE)
        self._take = register(scripts.TAKE)
        self._take_next = register(scripts.TAKE_NEXT)
        self._set_step_due = register(scripts.SET_STEP_DUE)
        self._take_due = register(scripts.TAKE_DUE_STEPS)
        self._reserve = register(scripts.RESERVE)
        self._release = register(scripts.RELEASE)
        self._renew = register(scripts.RENEW)
        self._nodes = register(scripts.NODES)
        self._reap_script = register(scripts.REAP)
        self._share_sha: str | None = None  # SHARE_AGENT, loaded at its first use
        self._release_announced = register(scripts.RELEASE_ANNOUNCED)
        self._snapshot = register(scripts.SNAPSHOT)
        self._announce = register(scripts.ANNOUNCE)

    @classmethod
    def from_url(
        cls, url: str, prefix: str = DEFAULT_PREFIX, *, hold: Hold = no_hold
    ) -> RedisStateStore:
        # Bounded waits: a Redis that stops answering (a host down, not a refused port) is an
        # outage to notice within seconds, not a renewal hanging for ever.
        client = Redis.from_url(
            url, decode_responses=True, socket_timeout=5.0, socket_connect_timeout=5.0
        )
        return cls(client, prefix, hold=hold)

    async def close(self) -> None:
        if self._blocking is not None:
            await self._blocking.aclose()
        await self.client.aclose()

    def _blocking_client(self) -> Redis:
        """A connection pool of its own for blocking reads, without the client's socket
        timeout: the server answers within the block time, and a socket timeout would fire at
        once on virtual time.  A dead peer is noticed by TCP keepalive."""
        if self._blocking is None:
            pool = self.client.connection_pool
            options = {k: v for k, v in pool.connection_kwargs.items() if not k.startswith("orig_")}
            options |= {"socket_timeout": None, "socket_keepalive": True}
            self._blocking = Redis(
                connection_pool=ConnectionPool(connection_class=pool.connection_class, **options)
            )
        return self._blocking

    async def _io(self, request: Awaitable[_T]) -> _T:
        # A round trip to a real server: on virtual time the clock must not jump meanwhile.
        with self._hold():
            return await request

    async def _run(self, script: Any, keys: list[str], *args: object) -> Any:
        return await self._io(script(keys=keys, args=[self.keys.prefix, *args]))

    # ---------------------------------------------------------------- agents
    async def put_agent(self, agent: SharedAgent) -> None:
        checked_id("agent id", agent.agent_id)
        fields: dict[Any, Any] = {
            "presence": agent.presence,
            "activity": agent.activity,
            "skills": json.dumps(dict(agent.skills), sort_keys=True),
        }
        if agent.reason is not None:
            fields["reason"] = agent.reason
        if agent.idle_since is not None:
            fields["idle_since"] = _num(agent.idle_since)
        key = self.keys.agent(agent.agent_id)
        with self._hold():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.hset(key, mapping=fields)
                pipe.sadd(self.keys.agents, agent.agent_id)
                await pipe.execute()

    @staticmethod
    def _agent_from(agent_id: str, fields: dict[str, str]) -> SharedAgent:
        idle_since = fields.get("idle_since")
        return SharedAgent(
            agent_id=agent_id,
            presence=fields["presence"],
            activity=fields["activity"],
            skills=json.loads(fields["skills"]),
            reason=fields.get("reason"),
            idle_since=None if idle_since is None else float(idle_since),
        )

    async def agent(self, agent_id: str) -> SharedAgent | None:
        fields = _text(await self._io(self.client.hgetall(self.keys.agent(agent_id))))
        return self._agent_from(agent_id, fields) if fields else None

    async def agents(self) -> list[SharedAgent]:
        ids = sorted(_texts(await self._io(self.client.smembers(self.keys.agents))))
        with self._hold():
            async with self.client.pipeline(transaction=True) as pipe:
                for agent_id in ids:
                    pipe.hgetall(self.keys.agent(agent_id))
                rows: list[dict[str, str]] = await pipe.execute()
        return [self._agent_from(a, row) for a, row in zip(ids, rows, strict=True) if row]

    async def set_presence(self, agent_id: str, presence: str, reason: str | None) -> None:
        key = self.keys.agent(agent_id)
        if not await self._run(self._set_presence, [key], presence, reason or ""):
            raise StateStoreError(f"agent {agent_id!r}: not in the shared store")

    async def set_activity(self, agent_id: str, activity: str, idle_since: float | None) -> None:
        since = "" if idle_since is None else _num(idle_since)
        if not await self._run(self._set_activity, [self.keys.agent(agent_id)], activity, since):
            raise StateStoreError(f"agent {agent_id!r}: not in the shared store")

    async def add_to_counter(self, agent_id: str, day: str, name: str, amount: int) -> int:
        value: int = await self._io(
            self.client.hincrby(self.keys.agent_day(agent_id, day), name, amount)
        )
        return value

    async def counters(self, agent_id: str, day: str) -> dict[str, int]:
        fields = _text(await self._io(self.client.hgetall(self.keys.agent_day(agent_id, day))))
        return {name: int(value) for name, value in fields.items()}

    # ---------------------------------------------------------------- the agent feed
    async def share_agents(
        self, node_id: str, changes: Sequence[tuple[str, Mapping[str, str]]]
    ) -> list[str]:
        checked_id("node id", node_id)
        if not changes:
            return []
        for agent_id, _ in changes:
            checked_id("agent id", agent_id)
        with self._hold():
            try:
                return await self._share_pipelined(node_id, changes)
            except NoScriptError:
                # The server lost its script cache (a restart, SCRIPT FLUSH): every call of
                # the batch failed alike, so none ran; load the script and send them again.
                self._share_sha = None
                return await self._share_pipelined(node_id, changes)

    async def _share_pipelined(
        self, node_id: str, changes: Sequence[tuple[str, Mapping[str, str]]]
    ) -> list[str]:
        # One pipeline, no transaction: each script is atomic, and the feed's order is the
        # order they ran in.  EVALSHA straight, not through the Script object, which would ask
        # SCRIPT EXISTS before every batch.
        if self._share_sha is None:
            self._share_sha = str(await self.client.script_load(scripts.SHARE_AGENT))
        keys = self.keys
        async with self.client.pipeline(transaction=False) as pipe:
            for agent_id, fields in changes:
                flat = [item for pair in fields.items() for item in pair]
                pipe.evalsha(
                    self._share_sha,
                    3,
                    keys.agents,
                    keys.agent(agent_id),
                    keys.agent_feed,
                    keys.prefix,
                    agent_id,
                    node_id,
                    FEED_LENGTH,
                    *flat,
                )
            ids: list[Any] = await pipe.execute()
        return [str(entry_id) for entry_id in ids]

    async def release_announced(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        keys = [self.keys.reserved(agent_id), self.keys.agent_feed]
        return bool(
            await self._run(
                self._release_announced, keys, agent_id, contact_id, node_id, FEED_LENGTH
            )
        )

    async def announce_agents(self, node_id: str, agent_ids: Sequence[str]) -> None:
        if agent_ids:
            await self._run(
                self._announce, [self.keys.agent_feed], node_id, FEED_LENGTH, *agent_ids
            )

    async def pool_snapshot(self) -> PoolSnapshot:
        flat: list[Any] = await self._run(self._snapshot, [self.keys.agents, self.keys.agent_feed])
        agents = {str(flat[i]): _pairs(_texts(flat[i + 1])) for i in range(1, len(flat), 2)}
        return PoolSnapshot(str(flat[0]), agents)

    async def agent_changes(
        self, after_id: str, *, count: int = 500, block_s: float | None = None
    ) -> list[AgentChange]:
        feed = self.keys.agent_feed
        reply: Any
        if block_s is None:
            reply = await self._io(self.client.xread({feed: after_id}, count=count))
        else:
            # Not held: on virtual time the clock may move while nobody writes the feed (a
            # change another node makes is on this socket before that node's write returns).
            reply = await self._blocking_client().xread(
                {feed: after_id}, count=count, block=max(1, int(block_s * 1000))
            )
        if not reply:
            return []
        [(_, entries)] = reply
        return [_change(str(entry_id), _text(fields)) for entry_id, fields in entries]

    # ---------------------------------------------------------------- waiting contacts
    async def enqueue(
        self, contact_id: str, line_code: str, priority: int, since: float, node_id: str
    ) -> WaitingContact:
        checked_id("contact id", contact_id)
        checked_id("line code", line_code)
        checked_priority(priority)
        keys = [self.keys.contact(contact_id), self.keys.waiting(line_code), self.keys.seq]
        seq = int(
            await self._run(
                self._enqueue,
                keys,
                contact_id,
                line_code,
                str(priority),
                _num(since),
                node_id,
                str(_score_base(priority)),
            )
        )
        if seq < 0:
            raise StateStoreError(f"contact {contact_id!r}: already waiting")
        return WaitingContact(contact_id, line_code, priority, since, node_id, seq)

    @staticmethod
    def _contact_from(contact_id: str, fields: dict[str, str]) -> WaitingContact:
        return WaitingContact(
            contact_id=contact_id,
            line_code=fields["line_code"],
            priority=int(fields["priority"]),
            since=float(fields["since"]),
            node_id=fields["node_id"],
            seq=int(fields["seq"]),
        )

    async def waiting(self, line_code: str) -> list[WaitingContact]:
        # One transaction, so a contact taken meanwhile is either listed whole or not at all.
        ids = _texts(await self._io(self.client.zrange(self.keys.waiting(line_code), 0, -1)))
        with self._hold():
            async with self.client.pipeline(transaction=True) as pipe:
                for contact_id in ids:
                    pipe.hgetall(self.keys.contact(contact_id))
                rows: list[dict[str, str]] = await pipe.execute()
        return [self._contact_from(c, row) for c, row in zip(ids, rows, strict=True) if row]

    def _taken(self, reply: list[str] | None) -> WaitingContact | None:
        if not reply:
            return None
        return self._contact_from(reply[0], _pairs(reply[1:]))

    async def take(self, contact_id: str) -> WaitingContact | None:
        return self._taken(await self._run(self._take, [self.keys.steps], contact_id))

    async def take_next(self, line_code: str) -> WaitingContact | None:
        keys = [self.keys.steps, self.keys.waiting(line_code)]
        return self._taken(await self._run(self._take_next, keys))

    # ---------------------------------------------------------------- routing-step expiries
    async def set_step_due(self, contact_id: str, due: float) -> None:
        keys = [self.keys.contact(contact_id), self.keys.steps]
        if not await self._run(self._set_step_due, keys, contact_id, _num(due)):
            raise StateStoreError(f"contact {contact_id!r}: not waiting")

    async def take_due_steps(self, now: float) -> list[str]:
        due: list[str] = await self._run(self._take_due, [self.keys.steps], _num(now))
        return due

    # ---------------------------------------------------------------- reservations
    async def reserve(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        keys = [self.keys.reserved(agent_id), self.keys.node_reserved(node_id)]
        return bool(await self._run(self._reserve, keys, agent_id, contact_id, node_id))

    async def release(self, agent_id: str, contact_id: str, node_id: str) -> bool:
        keys = [self.keys.reserved(agent_id)]
        return bool(await self._run(self._release, keys, agent_id, contact_id, node_id))

    async def reservation(self, agent_id: str) -> Reservation | None:
        fields = _text(await self._io(self.client.hgetall(self.keys.reserved(agent_id))))
        if not fields:
            return None
        return Reservation(agent_id, fields["contact_id"], fields["node_id"])

    # ---------------------------------------------------------------- node membership
    async def renew(self, node_id: str, now: float, calls: int, app: str = "") -> bool:
        checked_id("node id", node_id)
        keys = [self.keys.nodes, self.keys.node(node_id)]
        args = (node_id, _num(now), str(calls), self._node_ttl_ms, app)
        return bool(await self._run(self._renew, keys, *args))

    async def nodes(self) -> list[NodeInfo]:
        flat: list[str] = await self._run(self._nodes, [self.keys.nodes])
        found = [
            NodeInfo(
                node_id=flat[i],
                started_at=float(flat[i + 1]),
                renewed_at=float(flat[i + 2]),
                calls=int(flat[i + 3]),
                reservations=int(flat[i + 4]),
                app=flat[i + 5],
            )
            for i in range(0, len(flat), 6)
        ]
        return sorted(found, key=lambda node: node.node_id)

    async def _reap(self, now: float, cutoff: float, node_id: str) -> dict[str, list[str]]:
        flat: list[Any] = await self._run(
            self._reap_script, [self.keys.nodes], _num(now), _num(cutoff), node_id
        )
        return {flat[i]: list(flat[i + 1]) for i in range(0, len(flat), 2)}

    async def leave(self, node_id: str, now: float) -> list[str]:
        return (await self._reap(now, now, node_id)).get(node_id, [])

    async def reap(self, now: float, lease_s: float) -> dict[str, list[str]]:
        return await self._reap(now, now - lease_s, "")
