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

``--quality`` (issue 15): every tenth call is a caller alone in the survey after the call (at
question 1-4, resumed there) instead of queued, and every talking call's bridge is recorded
(its recording known again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from acd.ari.client import AriClient
from acd.engine import legs
from acd.engine.core import EngineCore
from acd.engine.model import AgentConfig, EngineConfig, LineConfig, RecordingRule, SurveyRule
from acd.engine.runtime import EngineRuntime
from acd.records import ContactStore, migrate
from foundation.clock import Clock
from foundation.contact import Activity, ContactRecord, Offer, OfferResult
from ivr.survey import SurveyConfig, SurveyQuestion

LINE_CODE = "sales"
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


async def run(
    calls: int, storage_url: str, ring_timeout_s: int = 15, quality: bool = False
) -> dict[str, Any]:
    records, listed = in_flight(calls, quality)
    clock = Clock(wall_start=NOW + timedelta(seconds=3))
    await migrate(storage_url, hold=clock.hold)
    async with ContactStore.open(storage_url, hold=clock.hold, engine_key="bench") as store:
        await store.save_many(records)
        runner, url, counts = await serve(listed)
        line = LineConfig("1701", "1701", ("1701",), (LINE_CODE,), LINE_CODE)
        if quality:
            questions = tuple(SurveyQuestion(f"q{n}", (f"sound:q{n}",)) for n in range(4))
            survey = SurveyRule(SurveyConfig(questions))
            line = replace(line, survey=survey, recording=RecordingRule(share=1.0))
        config = EngineConfig(
            lines=(line,),
            agents=tuple(
                AgentConfig(f"a{i}", f"A{i}", f"PJSIP/a{i}", {LINE_CODE: 3}) for i in range(calls)
            ),
            caller_id="ACD <1701>",
            ring_timeout_s=ring_timeout_s,
        )
        core = EngineCore(config)
        async with AriClient(url, "asterisk", "asterisk", "acd") as ari:
            runtime = EngineRuntime(core, ari, clock, [], "acd", records=store)
            runtime.start()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await runtime.on_connected(first=True)
            taken_up = time.perf_counter() - wall0
            await runtime.drain()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            await runtime.close()
        await runner.cleanup()
    activity = [a.activity for a in core.agents.values()]
    phases: dict[str, int] = {}
    for contact in core.contacts.values():
        phases[contact.phase.value] = phases.get(contact.phase.value, 0) + 1
    return {
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--storage-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--quality", action="store_true", help="surveys and recordings too")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # a thousand "taken up" lines are not the point
    with tempfile.TemporaryDirectory() as tmp:
        url = args.storage_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        result = asyncio.run(run(args.calls, url, quality=args.quality))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
