"""A real Prometheus server (Debian's ``prometheus``, ./scripts/services installs it) on loopback,
scraping one target every second and evaluating config/prometheus's rules: shared by the system
tests that check the rules (test_prometheus.py) and the Grafana dashboards' queries
(test_dashboards.py) against it.

Prometheus runs on wall time; the engine on the test's virtual clock.  While a test waits for
Prometheus (in a thread: ``await asyncio.to_thread(prom.until, ...)``), the virtual clock stands
still and the engine keeps answering scrapes.  Every wait is a bounded poll.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from acd.auth.model import Scope
from tests.system.harness import System

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "prometheus" / "rules" / "acd.rules.yml"
DEADLINE_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prometheus:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def query(self, expr: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{query}", timeout=5) as resp:
            body = json.load(resp)
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def label_values(self, label: str, match: str) -> list[str]:
        """What Grafana's ``label_values(match, label)`` variable query lists, sorted."""
        query = urllib.parse.urlencode({"match[]": match})
        url = f"{self.url}/api/v1/label/{urllib.parse.quote(label)}/values?{query}"
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = json.load(resp)
        assert body["status"] == "success", body
        return sorted(body["data"])

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if len(result) == 1 else None

    def until(self, expr: str, want: float, what: str) -> None:
        """Poll until ``expr`` is one sample equal to ``want`` (bounded: fails naming both)."""
        deadline = time.monotonic() + DEADLINE_S
        seen: float | None = None
        while time.monotonic() < deadline:
            try:
                seen = self.value(expr)
            except (ConnectionError, urllib.error.URLError):
                seen = None  # still starting
            if seen is not None and math.isclose(seen, want, rel_tol=1e-9, abs_tol=1e-9):
                return
            time.sleep(0.2)
        raise AssertionError(
            f"{what}: {expr} was {seen}, expected {want}, after {DEADLINE_S} s\n"
            + self.log.read_text(errors="replace")[-3000:]
        )


@contextmanager
def prometheus(tmp_path: Path, target: str, token: str) -> Iterator[Prometheus]:
    """A Prometheus scraping ``target`` with ``token`` (a bearer token of the metrics scope, in
    a credentials file as a deployment keeps it)."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail(
            "the prometheus server is not installed: ./scripts/services installs Debian's "
            "prometheus package (apt-get install prometheus)"
        )
    credentials = tmp_path / "metrics.token"
    credentials.write_text(token)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{RULES}']\n"
        "scrape_configs:\n"
        f"  - job_name: acd\n    static_configs: [{{targets: ['{target}']}}]\n"
        f"    authorization: {{credentials_file: '{credentials}'}}\n"
    )
    port = free_port()
    log = tmp_path / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Prometheus(f"http://127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@asynccontextmanager
async def scraping(s: System, tmp_path: Path) -> AsyncIterator[Prometheus]:
    """A Prometheus scraping the system's engine, once it has scraped it the first time."""
    target = (s.engine.http_url or "").removeprefix("http://")
    assert s.engine.auth is not None
    _, token = await s.engine.auth.add_token(
        "prometheus", frozenset({Scope.METRICS}), s.engine.clock.now()
    )
    with prometheus(tmp_path, target, token) as prom:
        await asyncio.to_thread(prom.until, 'up{job="acd"}', 1, "scraped")
        yield prom
