"""The HTTP API on a real loopback server, over an engine whose ARI side is a recording fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from acd.api import AllowAll, create_api
from acd.engine.core import EngineCore
from acd.engine.runtime import EngineRuntime
from foundation.clock import Clock
from sla.metrics import EngineMetrics
from tests.engine.test_core import make_config
from tests.fakes import FakeAriClient


@pytest.fixture
async def api() -> AsyncIterator[tuple[aiohttp.ClientSession, str, EngineMetrics]]:
    clock = Clock()
    metrics = EngineMetrics()
    runtime = EngineRuntime(EngineCore(make_config()), FakeAriClient(), clock, [metrics], "acd")
    runtime.start()
    runner = web.AppRunner(create_api(runtime, clock, metrics, authenticator=AllowAll()))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as session:
        yield session, url, metrics
    await runtime.close()
    await runner.cleanup()


async def test_login_presence_and_snapshots(api):
    session, url, _ = api
    async with session.post(f"{url}/api/agents/a1/login") as r:
        assert r.status == 200
        body = await r.json()
        assert (body["presence"], body["activity"]) == ("available", "idle")
    async with session.put(
        f"{url}/api/agents/a1/presence", json={"presence": "not_available", "reason": "lunch"}
    ) as r:
        assert (await r.json())["reason"] == "lunch"
    async with session.get(f"{url}/api/queues") as r:
        queues = {q["line_code"]: q for q in (await r.json())["queues"]}
        assert queues["1700 Andere Vragen"]["agents_logged_in"] == 2 - 1  # only a1 logged in
        assert queues["1700 Andere Vragen"]["agents_available"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("post", "/api/agents/nobody/login", None, 404, "agent_not_found"),
        ("put", "/api/agents/a1/presence", {"presence": "away"}, 422, "invalid_presence"),
        ("put", "/api/agents/a1/presence", {"presence": "available"}, 409, "agent_logged_out"),
        ("get", "/api/nothing-here", None, 404, "not_found"),
        ("delete", "/api/queues", None, 405, "method_not_allowed"),
    ],
)
async def test_errors_are_json_with_status_id_and_message(api, method, path, body, status, error):
    session, url, _ = api
    async with session.request(method, url + path, json=body) as r:
        assert r.status == status
        payload = await r.json()
        assert (payload["status"], payload["error"]) == (status, error)
        assert payload["message"]


async def test_invalid_reason_names_the_allowed_reasons(api):
    session, url, _ = api
    await session.post(f"{url}/api/agents/a1/login")
    async with session.put(
        f"{url}/api/agents/a1/presence", json={"presence": "not_available", "reason": "nap"}
    ) as r:
        assert r.status == 422
        assert "lunch" in (await r.json())["message"]


async def test_bad_json_is_a_400(api):
    session, url, _ = api
    async with session.put(f"{url}/api/agents/a1/presence", data=b"{nope") as r:
        assert (r.status, (await r.json())["error"]) == (400, "invalid_json")


async def test_metrics_show_agents_by_presence_and_activity(api):
    session, url, _ = api
    await session.post(f"{url}/api/agents/a1/login")
    async with session.get(f"{url}/metrics") as r:
        text = await r.text()
    samples = {
        (s.labels["presence"], s.labels["activity"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "acd_agents"
        for s in family.samples
    }
    assert samples[("available", "idle")] == 1
    assert samples[("logged_out", "idle")] == 2
