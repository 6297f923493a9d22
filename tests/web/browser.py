"""Chromium (Debian's, through Playwright's sync API) beside the engine and the emulator.

The engine runs on the test's VirtualTimeLoop; the browser runs in real time.  Every browser
step is handed to one thread of its own through ``run_in_executor``, which stops the virtual
clock from jumping ahead while it runs; meanwhile a pacer moves the clock on at real speed, so
the engine's timers (the live events' 0.2 s coalescing, a phone answering after 2 s, wrap-up)
run as they would for a real user, and none races past a page that is being read.  Between
browser steps the test drives the engine in virtual time as the system tests do.  Waits in
the browser are Playwright's ``expect`` with bounded real-time timeouts."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from acd.auth.model import Role
from foundation.clock import VirtualTimeLoop
from tests.system.harness import START, System

T = TypeVar("T")
PASSWORD = "correct horse battery staple"
# Debian's chromium: Playwright's own browser download is not reachable from CI.
CHROMIUM = os.environ.get("ACD_CHROMIUM", "/usr/bin/chromium")
# Where the screenshots go: ACD_ARTIFACTS, else artifacts/ at the repository's root.
# Playwright's expect() waits 5 s by default: under a loaded CI (two workers, Argon2 hashing
# at sign-in) a step may take longer. The checks of liveness pass their own 1 s.
expect.set_options(timeout=15_000)
ARTIFACTS = Path(os.environ.get("ACD_ARTIFACTS", Path(__file__).parents[2] / "artifacts"))


class Chromium:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="chromium")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def run(self, step: Callable[..., T], *args: Any) -> T:
        """``step(*args)`` on the browser's thread, the engine's clock at real speed meanwhile."""
        loop = asyncio.get_running_loop()
        pacer = _RealTimePacer(loop)
        pacer.start()
        try:
            return await loop.run_in_executor(self._executor, step, *args)
        finally:
            pacer.stop()

    def _start(self) -> None:
        executable = shutil.which(CHROMIUM) or CHROMIUM
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def _page(self) -> Page:
        assert self._browser is not None
        context = self._browser.new_context(
            base_url=self.base_url, locale="nl-BE", timezone_id="Europe/Brussels"
        )
        # Generous for steps under load (signing in hashes a password); the live checks set
        # their own 1 s.
        context.set_default_timeout(15_000)
        return context.new_page()

    async def page(self) -> Page:
        """A page in a fresh context (its own cookies): one per user."""
        return await self.run(self._page)

    async def close(self) -> None:
        await self.run(self._stop)
        self._executor.shutdown(wait=True)


class _RealTimePacer(threading.Thread):
    """Advances a VirtualTimeLoop by the real time passed, every few milliseconds, through
    the loop's own thread (``call_soon_threadsafe``); on any other loop it does nothing."""

    TICK_S = 0.01

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(name="real-time-pacer", daemon=True)
        self._loop = loop
        self._stopped = threading.Event()
        self._last = time.monotonic()

    def run(self) -> None:
        if not isinstance(self._loop, VirtualTimeLoop):
            return
        while not self._stopped.wait(self.TICK_S):
            self._loop.call_soon_threadsafe(self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        assert isinstance(self._loop, VirtualTimeLoop)
        if not self._stopped.is_set():
            self._loop.advance(now - self._last)
        self._last = now

    def stop(self) -> None:
        self._stopped.set()
        self.join()


@asynccontextmanager
async def chromium(s: System) -> AsyncIterator[Chromium]:
    assert s.engine.http_url is not None
    browser = Chromium(s.engine.http_url)
    await browser.run(browser._start)
    try:
        yield browser
    finally:
        await browser.close()


async def add_users(s: System) -> None:
    """An agent (An Peeters, 1001), a second agent (Bart Janssens, 1002) and a supervisor of
    line 1700, all with :data:`PASSWORD`."""
    store = s.engine.auth
    assert store is not None
    await store.add_user("an", PASSWORD, Role.AGENT, START, agent_id="1001")
    await store.add_user("bart", PASSWORD, Role.AGENT, START, agent_id="1002")
    await store.add_user("sam", PASSWORD, Role.SUPERVISOR, START, lines=("1700",))


def sign_in(page: Page, username: str) -> None:
    page.goto("/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
