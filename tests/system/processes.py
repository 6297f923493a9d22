"""Real processes for the restart tests: ``acd emulator`` and ``acd run`` started with
``python -m acd.cli``, their logs in files, their HTTP APIs polled with deadlines.

A crash is something only a real process can do: no cleanup, no ``finally``, an open WebSocket
dropped and live calls left in Stasis.  Everything waits by polling under generous deadlines,
never by fixed sleeps, so a loaded CI machine is slower but not flaky.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

ROOT = Path(__file__).resolve().parents[2]
# Generous: a loaded two-core CI machine may start a process in seconds, not tenths.
DEADLINE_S = 60.0
STEP_S = 0.05

# Real processes run on the wall clock: a calendars.yaml whose calendars (the lines' own and the
# standard one) are open around the clock, no holidays, so a test passes on any day at any hour.
ALWAYS_OPEN = """\
calendars:
  - name: "1700"
    timezone: Europe/Brussels
    weekly: &always {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"],
                     thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"],
                     sun: ["00:00-24:00"]}
    holidays: null
  - name: "standard"
    timezone: Europe/Brussels
    weekly: *always
    holidays: null
"""

T = TypeVar("T")


@contextmanager
def process(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``acd ARGS`` in the background, its output in ``log``; stopped however the test ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACD_")}  # settings: ours
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "acd.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def listening(proc: subprocess.Popen[bytes], log: Path, pattern: str) -> str:
    """The URL a process says it listens on: each binds a port of its own choosing (port 0),
    so two tests, or a port freed and taken again, can never collide."""

    def said() -> str | None:
        if proc.poll() is not None:
            raise AssertionError(f"{log.stem} exited ({proc.returncode}):\n{log.read_text()}")
        found = re.search(pattern, log.read_text(errors="replace"))
        return found[1] if found else None

    return until(said, f"{log.name}: {pattern}")


def admin_token(engine_args: list[str]) -> str:
    """A new API token with the admin scope in the store an ``acd run ARGS`` uses, made as an
    operator would (``acd tokens add``): the API lets no one in without one."""
    given = dict(itertools.pairwise(engine_args))
    command = [sys.executable, "-m", "acd.cli", "tokens", "add", "system-tests", "--scope"]
    command += ["admin", "--config", given["--config"], "--storage-url", given["--storage-url"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACD_")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True, timeout=60)
    return done.stdout.decode().strip()


def engine_api(proc: subprocess.Popen[bytes], log: Path) -> Http:
    """The engine's API, once the engine is connected to ARI (and so has found what a previous
    run left in Stasis), with an admin token of its store."""
    base = listening(proc, log, r"HTTP API on (\S+);")  # the auth tables are migrated by now
    command = cast(list[str], proc.args)  # [python, -m, acd.cli, run, ...] as process() built it
    api = Http(base, f"Bearer {admin_token([str(arg) for arg in command[3:]])}")
    until(lambda: api.get("/healthz").get("ari_connected"), "the engine is connected to ARI")
    return api


class Http:
    def __init__(self, base: str, auth: str | None) -> None:
        self.base = base
        self._auth = auth

    def get(self, path: str) -> Any:
        return self._send("GET", path, None)

    def post(self, path: str, body: object) -> Any:
        return self._send("POST", path, body)

    def put(self, path: str, body: object) -> Any:
        return self._send("PUT", path, body)

    def _send(self, method: str, path: str, body: object) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self._auth is not None:
            request.add_header("Authorization", self._auth)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            if error.code != 503:  # /healthz while ARI is not connected yet
                raise
            text = error.read()
        return json.loads(text) if text else None


def until(predicate: Callable[[], T | None], what: str) -> T:
    """Poll ``predicate`` until it returns something true; connection refusals count as not
    yet (a process still starting)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:
            result = predicate()
        except (ConnectionError, urllib.error.URLError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE_S} s: {what}")
        time.sleep(STEP_S)
