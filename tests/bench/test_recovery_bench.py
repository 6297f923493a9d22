"""The recovery benchmark's scene is what its figures claim: the calls in flight are taken up
as queued, ringing and talking, from three reads of ARI and nothing else asked of it but the
queued callers' music."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.recovery import run

pytestmark = pytest.mark.component  # a loopback HTTP server and a SQLite file


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
