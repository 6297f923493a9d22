"""The recovery benchmark's scene is what its figures claim: the calls in flight are taken up
as queued, ringing and talking, from three reads of ARI and nothing else asked of it but the
queued callers' music; on the shared state (Redis), the node rejoins, its ringing agents'
reservations are its own again and the pool says what its agents do."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from bench.recovery import run
from foundation.clock import hold_clock
from tests.state.conftest import REDIS_URL, unique_prefix

# A loopback HTTP server, a SQLite file; with a node on the shared state, the machine's Redis.
pytestmark = pytest.mark.component


async def test_fifty_calls_in_flight_are_taken_up_by_kind(tmp_path: Path) -> None:
    # Rings long enough that no ring guard fires while the loop's virtual time runs on.
    result = await run(50, f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", ring_timeout_s=3600)
    assert result["phases"] == {"queued": 20, "ringing": 15, "connected": 15}
    assert (result["agents_ringing"], result["agents_on_call"]) == (15, 15)
    assert result["ari_requests"] == {
        "GET channels": 1,
        "GET bridges": 1,
        "GET applications": 1,
        "POST channels moh": 20,
    }


async def test_with_surveys_and_recordings_the_surveyed_resume_and_recordings_are_known(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    result = await run(50, url, ring_timeout_s=3600, quality=True)
    assert result["phases"] == {"queued": 15, "survey": 5, "ringing": 15, "connected": 15}
    assert result["recordings_known"] == 15  # every talking call's bridge
    requests = result["ari_requests"]
    assert requests["POST channels play"] == 5  # each surveyed caller asked one question
    assert "POST bridges record" not in requests  # recorded still: not started again


async def test_a_node_on_redis_takes_its_calls_up_and_holds_its_ringing_agents(
    tmp_path: Path,
) -> None:
    # The machine's Redis under this test's own prefix (deleted by the bench afterwards).
    prefix = unique_prefix()
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    result = await run(50, url, ring_timeout_s=3600, redis_url=REDIS_URL, prefix=prefix)
    # The same scene as alone: the pool and the reservations change nothing asked of ARI.
    assert result["phases"] == {"queued": 20, "ringing": 15, "connected": 15}
    assert (result["agents_ringing"], result["agents_on_call"]) == (15, 15)
    assert result["ari_requests"] == {
        "GET channels": 1,
        "GET bridges": 1,
        "GET applications": 1,
        "POST channels moh": 20,
    }
    shared = result["redis"]
    assert shared["left"]["reserved"] == 30  # ringing and talking agents, before the restart
    # Every ringing agent asserted again for its caller, by this node, and known to its router
    # (so released when the offer ends); no race lost to itself, no Redis error.
    assert shared["reservations"]["ringing"] == {"held": 15, "known": 15}
    assert (shared["lost_races"], shared["redis_errors"]) == (0, 0)
    # The pool says what the node does now, and its lease counts its calls.
    assert shared["pool_activities"] == {"idle": 20, "ringing": 15, "on_call": 15}
    assert shared["node_calls"] == {"node-a": 50}
    assert shared["keys_deleted"] > 0
    async with Redis.from_url(REDIS_URL) as client:
        with hold_clock():
            assert [key async for key in client.scan_iter(match=prefix + "*")] == []


async def test_a_talking_agent_taken_up_on_redis_is_offered_again_after_the_call(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    result = await run(20, url, ring_timeout_s=3600, redis_url=REDIS_URL, prefix=unique_prefix())
    assert result["redis"]["reservations"]["talking"] == {"held": 6, "known": 6}
    assert result["redis"]["talking_reservable_again"] == 6
