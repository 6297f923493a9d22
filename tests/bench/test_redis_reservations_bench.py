"""The reservations benchmark runs on the machine's Redis and counts what it claims: every
reservation in the uncontended ways succeeds (an assertion inside), and the contended way's
losers did lose races."""

from __future__ import annotations

import asyncio

import pytest

from bench.redis_reservations import _async, _contender, seam
from tests.state.conftest import REDIS_URL, unique_prefix

pytestmark = pytest.mark.component


def test_the_ways_in_reserve_and_release_every_contact() -> None:
    assert seam(REDIS_URL, 300)["reservations_per_s"] > 0
    assert asyncio.run(_async(REDIS_URL, 300, 8))["reservations_per_s"] > 0


def test_contenders_for_three_agents_lose_races_but_all_get_one() -> None:
    result = asyncio.run(_contender(REDIS_URL, unique_prefix(), "node-a", 200, 8))
    assert result["wins"] == 200
    assert result["lost_races"] > 0
