import asyncio
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from foundation.clock import Clock, VirtualTimeLoop


@pytest.mark.unit
async def test_an_hour_of_virtual_time_passes_in_real_milliseconds():
    clock = Clock(wall_start=datetime(2027, 3, 29, 9, 0, tzinfo=UTC))
    start_wall = clock.now()
    real = time.perf_counter()
    await asyncio.sleep(3600)
    assert time.perf_counter() - real < 1.0
    assert clock.now() - start_wall == timedelta(hours=1)


@pytest.mark.component
async def test_loopback_http_works_while_time_is_virtual():
    async def hello(request: web.Request) -> web.Response:
        await asyncio.sleep(5)  # a slow handler: virtual seconds
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/") as r:
        assert await r.json() == {"ok": True}
    assert 5 <= loop.time() - t0 < 6
    await runner.cleanup()


@pytest.mark.unit
async def test_executor_work_holds_the_clock():
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    timer_fired_at: list[float] = []
    loop.call_later(10, lambda: timer_fired_at.append(loop.time()))
    t0 = loop.time()
    await loop.run_in_executor(None, time.sleep, 0.05)  # real work in a thread
    assert loop.time() - t0 < 10  # the 10 s timer did not jump ahead of the thread
    assert timer_fired_at == []


class RecordingSelector:
    """Stands in for the loop's real selector: nothing is ever ready; records each wait."""

    def __init__(self) -> None:
        self.waits: list[float | None] = []

    def select(self, timeout=None):
        self.waits.append(timeout)
        return []


def fast_forward(selector: RecordingSelector, *, held: bool):
    from foundation.clock import _FastForwardSelector

    class Loop:
        now = 0.0

        def real_work_pending(self) -> bool:
            return held

        def advance(self, seconds: float) -> None:
            self.now += seconds

    loop = Loop()
    return _FastForwardSelector(selector, loop), loop  # type: ignore[arg-type]


@pytest.mark.unit
def test_idle_loop_jumps_to_the_next_timer_without_waiting():
    inner = RecordingSelector()
    selector, loop = fast_forward(inner, held=False)
    assert selector.select(12.5) == []
    assert loop.now == 12.5
    assert inner.waits == [0]  # polled, never blocked


@pytest.mark.unit
def test_a_poll_while_a_thread_holds_the_clock_neither_waits_nor_jumps():
    inner = RecordingSelector()
    selector, loop = fast_forward(inner, held=True)
    assert selector.select(0) == []
    assert (loop.now, inner.waits) == (0.0, [0])
    selector.select(10)  # a timer is due later: wait for the thread in a short real slice
    assert loop.now == 0.0
    assert inner.waits[-1] == 0.05
