"""How long a restarted engine takes to take up the calls in flight (docs/performance.md,
"Recovery after a restart").  Target (issue 10): 1,000 calls in flight, queued, ringing and
bridged mixed, recovered in <= 2 s.

The engine's real first-connection path runs: ``EngineRuntime.on_connected(first=True)`` reads
``GET /channels``, ``/bridges`` and ``/applications/{app}`` with the real ``AriClient`` over
loopback HTTP from a server answering with Asterisk-shaped JSON (the channel objects of the
recorded traces), reads the unfinished contact records from a real SQLite (or PostgreSQL)
store, takes every call up in the core and carries out the resulting ARI commands.  Timed from
the first request to the last command carried out.

    .venv/bin/python bench/recovery.py [--calls 1000] [--storage-url URL] [--quality]
                                       [--redis redis://127.0.0.1:6379/0]

``--quality`` (issue 15): every tenth call is a caller alone in the survey after the call (at
question 1-4, resumed there) instead of queued, and every talking call's bridge is recorded
(its recording known again).

``--redis URL`` (issue 16): the engine is a node on the shared state.  Before it starts, Redis
holds what the killed node left there (under a key prefix of this run's own, deleted
afterwards): every agent in the pool (those with a call ringing or talking through this node,
the others logged out), the ringing agents reserved by this node for their callers, and the
node's lease, not yet expired.  The restart goes the way ``acd.app`` wires it
(``acd.state.setup``): the pool loaded and applied before the runtime starts (this node's own
activities left to the recovery from ARI), the node's lease renewed (joined), the pool's feed
followed, then the same take-up from ARI, in which every ringing agent's reservation is
asserted again through the compare-and-set script (one synchronous round trip each), and each
agent's new activity published to the pool.  The timing then starts at the first Redis request
and also reports when the pool's writes are all in Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from acd.ari.client import AriClient
from acd.engine import legs
from acd.engine.core import EngineCore
from acd.engine.model import AgentConfig, EngineConfig, LineConfig, RecordingRule, SurveyRule
from acd.engine.runtime import EngineRuntime
from acd.node_routes import calls_of
from acd.records import ContactStore, migrate
from acd.settings.redis_options import RedisSettings
from acd.state import RedisStateStore
from acd.state.node import NodeMembership
from acd.state.pool import SharedPool
from acd.state.reservations import RedisReservations
from acd.state.setup import join_nodes, load_pool, open_pool, shared_reservations
from foundation.clock import Clock, hold_clock
from foundation.contact import Activity, ContactRecord, Offer, OfferResult
from ivr.survey import SurveyConfig, SurveyQuestion

LINE_CODE = "sales"
NODE = "node-a"
NOW = datetime(2027, 3, 30, 10, 0, tzinfo=UTC)
STAMP = "%Y-%m-%dT%H:%M:%S.000+0000"


def channel(
    channel_id: str, name: str, state: str, app_name: str, app_data: str, created: datetime
) -> dict[str, Any]:
    """A channel as Asterisk 22 lists it (the shape of the traces' channel objects)."""
    return {
        "id": channel_id,
        "name": name,
        "state": state,
        "protocol_id": f"{channel_id}@127.0.0.1",
        "caller": {"name": "Caller", "number": "0470123456"},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "from-caller",
            "exten": "1701",
            "priority": 2,
            "app_name": app_name,
            "app_data": app_data,
        },
        "creationtime": created.strftime(STAMP),
        "language": "en",
    }


def in_flight(calls: int, quality: bool = False) -> tuple[list[ContactRecord], dict[str, Any]]:
    """``calls`` contacts as an engine killed at NOW leaves them: 40% queued, 30% with an agent's
    phone ringing, 30% talking; and what ARI lists for them.  ``quality``: 10% in the survey
    instead of queued, the talking ones recorded."""
    records: list[ContactRecord] = []
    channels: list[dict[str, Any]] = []
    bridges: list[dict[str, Any]] = []
    for i in range(calls):
        arrived = NOW - timedelta(seconds=60 + i % 300)
        record = ContactRecord(
            id=f"ct-{i:06d}",
            channel_id=f"17000000.{i}",
            line="1701",
            caller_number="0470123456",
            arrived_at=arrived,
            line_code=LINE_CODE,
            queued_at=arrived + timedelta(seconds=5),
        )
        channels.append(
            channel(
                record.channel_id,
                f"PJSIP/caller-{i:08x}",
                "Up",
                "Stasis",
                "acd,inbound,1701,sales",
                arrived,
            )
        )
        kind = i % 10
        if quality and kind == 3:  # answered, the agent gone: alone in the survey
            record.offers.append(Offer(f"a{i}", arrived, OfferResult.ANSWERED, arrived))
            record.answered_at = arrived + timedelta(seconds=10)
            record.agent_id = f"a{i}"
            record.survey_started_at = NOW - timedelta(seconds=20)
            record.survey_question = i % 4
        if kind >= 4:  # offered to agent a<i>
            agent = f"a{i}"
            offered = NOW - timedelta(seconds=2 + i % 5)  # within the ring timeout
            record.offers.append(Offer(agent_id=agent, offered_at=offered))
            record.offered_at = offered
            leg = legs.leg_id(legs.AGENT_PREFIX, f"ag-{i:06d}", record.id)
            if kind >= 7:  # answered: talking in the contact's bridge
                record.answered_at = offered + timedelta(seconds=4)
                record.agent_id = agent
                record.offers[-1].result = OfferResult.ANSWERED
                if quality:
                    record.recording_started_at = record.answered_at
                args = ",".join(("acd", *legs.agent_leg_args(agent, record.id)))
                channels.append(
                    channel(leg, f"PJSIP/{agent}-{i:08x}", "Up", "Stasis", args, offered)
                )
                bridge = legs.bridge_id(record.id)
                bridges.append(
                    {
                        "id": bridge,
                        "technology": "simple_bridge",
                        "bridge_type": "mixing",
                        "bridge_class": "stasis",
                        "creator": "Stasis",
                        "name": "",
                        "channels": [record.channel_id, leg],
                        "creationtime": record.answered_at.strftime(STAMP),
                        "video_mode": "talker",
                    }
                )
            else:  # still ringing, outside Stasis
                channels.append(
                    channel(
                        leg,
                        f"PJSIP/{agent}-{i:08x}",
                        "Ringing",
                        "AppDial2",
                        "(Outgoing Line)",
                        offered,
                    )
                )
        records.append(record)
    application = {
        "name": "acd",
        "channel_ids": [c["id"] for c in channels],
        "bridge_ids": [b["id"] for b in bridges],
        "endpoint_ids": [],
        "device_names": [],
        "events_allowed": [],
        "events_disallowed": [],
    }
    return records, {"channels": channels, "bridges": bridges, "application": application}


async def serve(listed: dict[str, Any]) -> tuple[web.AppRunner, str, dict[str, int]]:
    """An HTTP server answering the three resync reads, and every command with 204."""
    bodies = {k: json.dumps(v).encode() for k, v in listed.items()}
    counts: dict[str, int] = {}

    async def handle(request: web.Request) -> web.Response:
        parts = request.path.split("/")  # /ari/channels/<id>/moh: the id is not the kind
        key = " ".join([request.method, *parts[2:3], *parts[4:5]])
        counts[key] = counts.get(key, 0) + 1
        if parts[4:5] == ["play"]:  # /ari/channels/<id>/play/<playback id>: Asterisk's 201
            playback = {"id": parts[-1], "media_uri": "", "target_uri": "", "state": "queued"}
            return web.json_response(playback, status=201)
        if request.method == "GET":
            name = {"/ari/channels": "channels", "/ari/bridges": "bridges"}.get(
                request.path, "application"
            )
            return web.Response(body=bodies[name], content_type="application/json")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}", counts


def left_in_redis(records: list[ContactRecord]) -> list[tuple[str, dict[str, str]]]:
    """What the killed node left in the shared agent pool, as its pool wrote it
    (``SharedPool.agent_event``): an agent with a call ringing or talking through this node
    available in that activity; the agents of queued and surveyed callers logged out."""
    changes: list[tuple[str, dict[str, str]]] = []
    stamp = repr((NOW - timedelta(hours=1)).timestamp())
    for record in records:
        busy = record.offered_at is not None and record.survey_started_at is None
        activity = Activity.IDLE
        if busy:
            activity = Activity.ON_CALL if record.answered_at else Activity.RINGING
        changes.append(
            (
                f"a{int(record.id[3:])}",  # each call's own agent (in_flight)
                {
                    "skills": json.dumps({LINE_CODE: 3}),
                    "presence": "available" if busy else "logged_out",
                    "reason": "",
                    "presence_since": stamp,
                    "activity": activity.value,
                    "idle_since": "" if busy else stamp,
                    "activity_node": NODE,
                    "contacts_today": "3",
                    "stats_day": NOW.date().isoformat(),
                    "talk_time_today_s": "600.0",
                    "missed_in_a_row": "0",
                },
            )
        )
    return changes


def with_agent(record: ContactRecord) -> str | None:
    """ "ringing" or "talking": a call whose agent this node holds reserved (from the offer
    until the agent is free again, after the call); None: no agent (queued, surveyed)."""
    if record.offered_at is None or record.survey_started_at is not None:
        return None
    return "talking" if record.answered_at is not None else "ringing"


async def crashed_node(
    url: str, prefix: str, records: list[ContactRecord], ttl_s: float
) -> dict[str, Any]:
    """Redis as the node killed at NOW left it: its agents in the pool, its ringing and
    talking agents reserved for their callers, its lease renewed just before (not expired at
    the restart)."""
    store = RedisStateStore(Redis.from_url(url, decode_responses=True), prefix, hold=hold_clock)
    changes = left_in_redis(records)
    written: list[str] = []
    for first in range(0, len(changes), 200):
        written += await store.share_agents(NODE, changes[first : first + 200])
    reserved = 0
    for record in records:
        if with_agent(record) is not None:
            assert await store.reserve(record.offers[-1].agent_id, record.id, NODE)
            reserved += 1
    await store.renew(NODE, (NOW - timedelta(seconds=1)).timestamp(), len(records))
    assert len(await store.reap(NOW.timestamp(), ttl_s)) == 0
    await store.close()
    return {"agents": len(changes), "reserved": reserved, "feed_at": written[-1]}


async def drop_prefix(url: str, prefix: str) -> int:
    """Delete this run's keys (the machine's Redis is shared)."""
    client: Redis = Redis.from_url(url, decode_responses=True)
    with hold_clock():  # real I/O: a virtual clock (the smoke test's) stands still meanwhile
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    return len(keys)


async def shared_state_after(
    url: str,
    prefix: str,
    records: list[ContactRecord],
    nodes: NodeMembership,
    reservations: RedisReservations,
    feed_at: str,
) -> dict[str, Any]:
    """What Redis holds once the node took its calls up: whose reservations (and whether the
    node's router knows it holds them, so that it releases them when the agent is free), which
    activities, what the node published, the node's lease with its calls."""
    await nodes.beat()  # the lease's call count as the next renewal writes it
    store = RedisStateStore(Redis.from_url(url, decode_responses=True), prefix, hold=hold_clock)
    # Per kind of call: "held" (Redis: this node, this contact), "known" (the router holds it).
    held: dict[str, dict[str, int]] = {}
    for record in records:
        kind = with_agent(record)
        if kind is None:
            continue
        agent = record.offers[-1].agent_id
        reservation = await store.reservation(agent)
        count = held.setdefault(kind, {"held": 0, "known": 0})
        count["held"] += reservation is not None and (
            reservation.node_id,
            reservation.contact_id,
        ) == (NODE, record.id)
        count["known"] += reservations.holder(agent) == record.id
    activities: dict[str, int] = {}
    for fields in (await store.pool_snapshot()).agents.values():
        if fields.get("activity_node") == NODE:
            activities[fields["activity"]] = activities.get(fields["activity"], 0) + 1
    listed = {info.node_id: info.calls for info in await store.nodes()}
    # What the restarted node published, per agent in feed order ("idle>reserved>on_call"),
    # counted by sequence: what another node following the feed sees of the restart.
    steps: dict[str, list[str]] = {}
    for change in await store.agent_changes(feed_at, count=100_000):
        if change.node_id == NODE and "activity" in change.fields:
            steps.setdefault(change.agent_id, []).append(change.fields["activity"])
    published: dict[str, int] = {}
    for seq in steps.values():
        published[">".join(seq)] = published.get(">".join(seq), 0) + 1
    await store.close()
    return {
        "reservations": held,
        "pool_activities": activities,
        "published": published,
        "node_calls": listed,
    }


async def run(
    calls: int,
    storage_url: str,
    ring_timeout_s: int = 15,
    quality: bool = False,
    redis_url: str | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    """``redis_url``: a node on the shared state (module doc), under ``prefix`` (default: a
    fresh one), whose keys are deleted afterwards."""
    records, listed = in_flight(calls, quality)
    clock = Clock(wall_start=NOW + timedelta(seconds=3))
    redis = None
    if redis_url is not None:
        prefix = prefix or "{recovery-" + uuid.uuid4().hex[:12] + "}:"
        redis = RedisSettings(url=redis_url, node_id=NODE, key_prefix=prefix)
    shared: dict[str, Any] = {}
    await migrate(storage_url, hold=clock.hold)
    try:
        async with (
            ContactStore.open(storage_url, hold=clock.hold, engine_key="bench") as store,
            AsyncExitStack() as stack,
        ):
            await store.save_many(records)
            if redis is not None:
                shared["left"] = await crashed_node(
                    redis.client_url(), redis.key_prefix, records, redis.lease_ttl_s
                )
            runner, url, counts = await serve(listed)
            stack.push_async_callback(runner.cleanup)
            config = _config(calls, ring_timeout_s, quality)
            reservations = None if redis is None else shared_reservations(stack, redis)
            core = EngineCore(config, reservations=reservations)
            ari = await stack.enter_async_context(AriClient(url, "asterisk", "asterisk", "acd"))
            runtime = EngineRuntime(core, ari, clock, [], "acd", records=store)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            pool: SharedPool | None = None
            nodes: NodeMembership | None = None
            if redis is not None:  # as acd.app starts a node (every agent is in the pool)
                skills = {agent.id: agent.line_codes for agent in config.agents}
                pool = await open_pool(stack, redis, clock, runtime.submit, skills, reservations)
                runtime.add_sink(pool)
                snapshot = await load_pool(pool, redis)
                shared["pool_loaded_s"] = round(time.perf_counter() - wall0, 3)
                pool.apply(snapshot, starting=True)
            runtime.start()
            stack.push_async_callback(runtime.close)
            if redis is not None and pool is not None:
                nodes = await join_nodes(
                    stack, redis, clock, lambda: calls_of(runtime.view), on_reaped=pool.announce
                )
                await pool.start()
                stack.push_async_callback(pool.stop)
                shared["joined_s"] = round(time.perf_counter() - wall0, 3)
            await runtime.on_connected(first=True)
            taken_up = time.perf_counter() - wall0
            await runtime.drain()
            wall = time.perf_counter() - wall0
            if pool is not None:
                await pool.flush()  # every agent's new activity is in Redis
                shared["pool_written_s"] = round(time.perf_counter() - wall0, 3)
            cpu = time.process_time() - cpu0
            if redis is not None and nodes is not None and reservations is not None:
                shared |= await shared_state_after(
                    redis.client_url(),
                    redis.key_prefix,
                    records,
                    nodes,
                    reservations,
                    shared["left"]["feed_at"],
                )
                shared["lost_races"] = reservations.lost_races
                shared["redis_errors"] = reservations.errors
                shared["reserve_round_trips"] = reservations.calls
                shared["reserve_blocked_s"] = round(reservations.blocked_s, 3)
                # Each talking agent's call over: the router lets go of what it holds (as
                # agent_free does), then the agent's next offer must win its reservation; a
                # reservation left in Redis unknown to the router would lose it for good.
                talking = [r.offers[-1].agent_id for r in records if with_agent(r) == "talking"]
                for agent_id in talking:
                    reservations.release(agent_id)
                shared["talking_reservable_again"] = sum(
                    reservations.try_reserve(agent_id, f"next-{agent_id}") for agent_id in talking
                )
    finally:
        if redis is not None:
            shared["keys_deleted"] = await drop_prefix(redis.client_url(), redis.key_prefix)
    activity = [a.activity for a in core.agents.values()]
    phases: dict[str, int] = {}
    for contact in core.contacts.values():
        phases[contact.phase.value] = phases.get(contact.phase.value, 0) + 1
    result = {
        "calls": calls,
        "channels": len(listed["channels"]),
        "bridges": len(listed["bridges"]),
        "taken_up_s": round(taken_up, 3),
        "recovered_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "phases": phases,
        "agents_on_call": activity.count(Activity.ON_CALL),
        "agents_ringing": activity.count(Activity.RINGING),
        "recordings_known": sum(c.recording is not None for c in core.contacts.values()),
        "ari_requests": counts,
    }
    if redis is not None:
        result["redis"] = shared
    return result


def _config(calls: int, ring_timeout_s: int, quality: bool) -> EngineConfig:
    line = LineConfig("1701", "1701", ("1701",), (LINE_CODE,), LINE_CODE)
    if quality:
        questions = tuple(SurveyQuestion(f"q{n}", (f"sound:q{n}",)) for n in range(4))
        survey = SurveyRule(SurveyConfig(questions))
        line = replace(line, survey=survey, recording=RecordingRule(share=1.0))
    return EngineConfig(
        lines=(line,),
        agents=tuple(
            AgentConfig(f"a{i}", f"A{i}", f"PJSIP/a{i}", {LINE_CODE: 3}) for i in range(calls)
        ),
        caller_id="ACD <1701>",
        ring_timeout_s=ring_timeout_s,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--storage-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--quality", action="store_true", help="surveys and recordings too")
    parser.add_argument(
        "--redis", default=None, metavar="URL", help="a node on the shared state in this Redis"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # a thousand "taken up" lines are not the point
    with tempfile.TemporaryDirectory() as tmp:
        url = args.storage_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        result = asyncio.run(run(args.calls, url, quality=args.quality, redis_url=args.redis))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
