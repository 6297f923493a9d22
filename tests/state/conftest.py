"""The shared-state stores under test: the in-memory one and the Redis one on the machine's
Redis (127.0.0.1:6379), each Redis test under its own key prefix so parallel tests (xdist)
never see each other's keys; the prefix's keys are deleted afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from acd.state import MemoryStateStore, RedisStateStore, StateStore
from foundation.clock import hold_clock

REDIS_URL = "redis://127.0.0.1:6379/0"


def unique_prefix() -> str:
    return "{t-" + uuid.uuid4().hex[:12] + "}:"


async def drop_prefix(client: Redis, pattern: str) -> None:
    with hold_clock():
        keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
        if keys:
            await client.delete(*keys)


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def redis_stores(redis_client: Redis) -> AsyncIterator[Callable[[], RedisStateStore]]:
    """Makes stores under fresh prefixes (one per call: a separate shared state each)."""
    made: list[RedisStateStore] = []

    def make() -> RedisStateStore:
        made.append(RedisStateStore(redis_client, unique_prefix(), hold=hold_clock))
        return made[-1]

    yield make
    for store in made:
        await drop_prefix(redis_client, store.keys.pattern())


@pytest.fixture(params=["memory", "redis"])
async def state_store(
    request: pytest.FixtureRequest, redis_stores: Callable[[], RedisStateStore]
) -> StateStore:
    if request.param == "memory":
        return MemoryStateStore()
    return redis_stores()
