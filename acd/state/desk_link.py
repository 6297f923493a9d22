"""Desk requests forwarded between nodes through Redis: an agent's browser talks to one node,
the agent's call may be held by another (docs/architecture.md, "Several nodes").

The node that holds an agent's call is the one their reservation names (``reserved:<agent>``,
set from the offer until the agent is free after the wrap-up).  A node asked about a call it
does not hold queues the request on the holder's list (``desk-requests:<node>``) and waits on a
reply list of the request's own (``desk-reply:<id>``); each node takes its list with BLPOP and
answers.  Lists rather than pub/sub: a request queued while the holder is between two reads is
kept, not lost.

A request is queued only while the holder's lease holds (one script: a node whose lease ran
out is refused at once), and carries a deadline: the holder does not act on it after, so an
agent told "no answer" (503) has not had it done behind their back, unless the holder took
longer than the grace between the deadline and the end of the wait to do it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import ConnectionPool, Redis

from acd.state import scripts
from acd.state.keys import DEFAULT_PREFIX, Keys
from foundation.clock import Hold, no_hold

log = logging.getLogger(__name__)

KEEP_REQUESTS_S = 60.0  # a node's request list, after the last request queued on it
KEEP_REPLY_S = 30.0  # a reply nobody waits for any more
READ_BLOCK_S = 5.0  # each BLPOP of the node's own list
RETRY_S = 1.0  # after Redis failed a read
GRACE_MAX_S = 1.0  # the sender waits this much past the deadline for the reply


@dataclass(frozen=True, slots=True)
class DeskRequest:
    """An HTTP request as the receiving node let it in: what the holder runs again."""

    method: str
    path: str  # with the query string
    headers: tuple[tuple[str, str], ...]  # Content-Type and Content-Length only
    body: bytes
    identity: Mapping[str, Any]  # who acts (acd.desk_forwarding encodes the principal)
    remote: str | None = None  # the client's address as the receiving node saw it


@dataclass(frozen=True, slots=True)
class DeskReply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Forwarded:
    """A request on the wire: the request and where and by when to answer it."""

    id: str
    from_node: str
    expires_at: float  # wall-clock seconds: the holder does not act on it after
    request: DeskRequest = field(repr=False)

    def encode(self) -> str:
        r = self.request
        return json.dumps(
            {
                "id": self.id,
                "from": self.from_node,
                "expires_at": self.expires_at,
                "method": r.method,
                "path": r.path,
                "headers": r.headers,
                "body": base64.b64encode(r.body).decode(),
                "identity": r.identity,
                "remote": r.remote,
            }
        )

    @classmethod
    def decode(cls, text: str) -> Forwarded:
        data = json.loads(text)
        request = DeskRequest(
            data["method"],
            data["path"],
            tuple((str(k), str(v)) for k, v in data["headers"]),
            base64.b64decode(data["body"]),
            data["identity"],
            data["remote"],
        )
        return cls(data["id"], data["from"], float(data["expires_at"]), request)


def _encode_reply(reply: DeskReply) -> str:
    body = base64.b64encode(reply.body).decode()
    return json.dumps({"status": reply.status, "headers": reply.headers, "body": body})


def _decode_reply(text: str) -> DeskReply:
    data = json.loads(text)
    headers = tuple((str(k), str(v)) for k, v in data["headers"])
    return DeskReply(int(data["status"]), headers, base64.b64decode(data["body"]))


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode()


class HolderUnavailable(Exception):
    """The node holding the call cannot answer: its lease ran out, or it did not answer in
    time (stopped, killed, or cut off from Redis)."""

    def __init__(self, node_id: str, reason: str) -> None:
        super().__init__(f"node {node_id} holds this call but {reason}")
        self.node_id = node_id
        self.reason = reason


Handle = Callable[[DeskRequest, str], Awaitable[DeskReply]]


class DeskLink:
    """One node's end: ask the holder of an agent's call (:meth:`holder`, :meth:`send`), and
    answer what other nodes ask (:meth:`start` with the function that runs a request)."""

    def __init__(
        self,
        client: Redis,
        node_id: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        now: Callable[[], float],
        lease_ttl_s: float,
        timeout_s: float,
        hold: Hold = no_hold,
    ) -> None:
        """``client`` decodes responses; ``now`` is the wall clock in seconds (nodes compare
        deadlines, as they compare leases)."""
        self.client = client
        self.node_id = node_id
        self.keys = Keys(prefix)
        self.timeout_s = timeout_s
        self._now = now
        self._lease_ttl_s = lease_ttl_s
        self._hold = hold
        self._forward = client.register_script(scripts.FORWARD_DESK)
        pool = client.connection_pool
        options = {k: v for k, v in pool.connection_kwargs.items() if not k.startswith("orig_")}
        # Blocking reads wait on the server: no socket timeout (it would fire at once on
        # virtual time); a dead peer is noticed by TCP keepalive.
        options |= {"socket_timeout": None, "socket_keepalive": True}
        self._blocking = Redis(
            connection_pool=ConnectionPool(connection_class=pool.connection_class, **options)
        )
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self.answered = 0
        self.forwarded = 0

    @classmethod
    def from_url(
        cls,
        url: str,
        node_id: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        now: Callable[[], float],
        lease_ttl_s: float,
        timeout_s: float,
        hold: Hold = no_hold,
    ) -> DeskLink:
        client = Redis.from_url(
            url, decode_responses=True, socket_timeout=5.0, socket_connect_timeout=5.0
        )
        return cls(
            client,
            node_id,
            prefix,
            now=now,
            lease_ttl_s=lease_ttl_s,
            timeout_s=timeout_s,
            hold=hold,
        )

    async def close(self) -> None:
        await self.stop()
        await self._blocking.aclose()
        await self.client.aclose()

    # ------------------------------------------------------------------ asking

    async def holder(self, agent_id: str) -> str | None:
        """The node that holds ``agent_id``'s offer, call or wrap-up (None: no node does)."""
        with self._hold():
            found = await self.client.hget(self.keys.reserved(agent_id), "node_id")
        return None if found is None else str(found)

    async def send(self, holder: str, request: DeskRequest) -> DeskReply:
        """``request`` answered by ``holder``; :class:`HolderUnavailable` if it cannot be."""
        now = self._now()
        sent = Forwarded(uuid.uuid4().hex, self.node_id, now + self.timeout_s, request)
        keys = [self.keys.nodes, self.keys.desk_requests(holder)]
        args = [
            self.keys.prefix,
            holder,
            repr(now),
            repr(self._lease_ttl_s),
            sent.encode(),
            str(int(KEEP_REQUESTS_S * 1000)),
        ]
        with self._hold():
            queued = await self._forward(keys=keys, args=args)
        if not queued:
            raise HolderUnavailable(holder, "is not a member of the shared state any more")
        ok, renewed = int(queued[0]), float(queued[1])
        if not ok:
            raise HolderUnavailable(
                holder, f"its lease expired (last renewed {now - renewed:.1f} s ago)"
            )
        self.forwarded += 1
        wait_s = self.timeout_s + min(GRACE_MAX_S, self.timeout_s / 2)
        # Held on virtual time: the clock must not run past the deadline while the holder's
        # answer is on its way through Redis.
        with self._hold():
            answer = await self._blocking.blpop([self.keys.desk_reply(sent.id)], timeout=wait_s)
        if answer is None:
            raise HolderUnavailable(
                holder,
                f"did not answer within {self.timeout_s:g} s (its lease was renewed"
                f" {now - renewed:.1f} s before the request)",
            )
        return _decode_reply(_text(answer[1]))

    # ------------------------------------------------------------------ answering

    async def start(self, handle: Handle) -> None:
        """Answer the requests other nodes queue for this node with ``handle(request, from
        node)``, until :meth:`stop`."""
        self._task = asyncio.create_task(self._reading(handle), name=f"desk-{self.node_id}")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._running.clear()

    async def _reading(self, handle: Handle) -> None:
        key = self.keys.desk_requests(self.node_id)
        failing = False
        while True:
            try:
                # Not held: on virtual time the clock moves while no node asks anything.
                found = await self._blocking.blpop([key], timeout=READ_BLOCK_S)
            except Exception as error:
                if not failing:
                    log.warning("node %s: reading forwarded desk requests: %s", self.node_id, error)
                failing = True
                await asyncio.sleep(RETRY_S)
                continue
            if failing:
                log.info("node %s: reading forwarded desk requests again", self.node_id)
                failing = False
            if found is None:
                continue
            task = asyncio.create_task(self._answer(handle, _text(found[1])))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _answer(self, handle: Handle, text: str) -> None:
        try:
            sent = Forwarded.decode(text)
        except (KeyError, ValueError, TypeError) as error:
            log.error("node %s: a forwarded desk request it cannot read: %s", self.node_id, error)
            return
        late_s = self._now() - sent.expires_at
        if late_s > 0:
            # The sender has told the agent there was no answer: doing it now would surprise.
            log.warning(
                "node %s: desk request %s %s from node %s came %.1f s after its deadline: not done",
                self.node_id,
                sent.request.method,
                sent.request.path.split("?", 1)[0],
                sent.from_node,
                late_s,
            )
            return
        try:
            reply = await handle(sent.request, sent.from_node)
        except Exception:  # the sender answers 503 when its wait ends
            log.exception("node %s: a forwarded desk request failed", self.node_id)
            return
        self.answered += 1
        reply_key = self.keys.desk_reply(sent.id)
        try:
            with self._hold():
                async with self.client.pipeline(transaction=True) as pipe:
                    pipe.rpush(reply_key, _encode_reply(reply))
                    pipe.pexpire(reply_key, int(KEEP_REPLY_S * 1000))
                    await pipe.execute()
        except Exception as error:  # the sender answers 503 when its wait ends
            log.warning(
                "node %s: could not answer node %s's desk request: %s",
                self.node_id,
                sent.from_node,
                error,
            )
