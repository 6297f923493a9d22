"""The agent's desk when the agent's call is on another node: two engines on one Redis, each
with its own emulated Asterisk, in one process on the test's virtual clock.  The agent logs in
through node B's API (their browser talks to B); the caller waits on node A, which offers the
call and holds the contact.  Every desk request the agent sends to B about that call is
answered by A, as if the browser had asked A."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis

from emulator import EndpointBehaviour
from emulator.scripts import Behaviour
from foundation.contact import Activity, Outcome
from tests.state.conftest import REDIS_URL, drop_prefix, unique_prefix
from tests.system.harness import CONFIG, System, system

SURVEY = Path(__file__).parent / "config_survey"
POINT, NUMBER = "anb-jacht", "+3225532100"
GENERAL = "1700 Andere Vragen"


@asynccontextmanager
async def two_nodes(
    tmp_path: Path,
    config: Path = CONFIG,
    trunk: Mapping[str, Behaviour] | None = None,
) -> AsyncIterator[tuple[System, System]]:
    """Nodes A and B on one Redis (a key prefix of the test's own, deleted afterwards)."""
    prefix = unique_prefix()
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        async with AsyncExitStack() as stack:
            nodes = []
            for name in ("a", "b"):
                folder = tmp_path / name
                folder.mkdir()
                overrides = {
                    "redis.url": REDIS_URL,
                    "redis.node_id": f"node-{name}",
                    "redis.key_prefix": prefix,
                }
                nodes.append(
                    await stack.enter_async_context(
                        system(folder, overrides=overrides, config=config, trunk=trunk)
                    )
                )
            yield nodes[0], nodes[1]
    finally:
        await drop_prefix(client, prefix.replace("{", "\\{").replace("}", "\\}") + "*")
        await client.aclose()


async def _talking_on_a(a: System, b: System, agent: str = "1001") -> str:
    """``agent`` logs in through B; a caller on A is put through to them."""
    status, _ = await b.api("POST", f"/api/agents/{agent}/login")
    assert status == 200
    await a.until(lambda: a.agent(agent).presence.value == "available")
    caller = a.emu.pbx.place_call("1700", caller_number="0470123456")
    await a.until(lambda: a.bridged_agent(caller) == agent)
    await b.until(lambda: b.agent(agent).activity is Activity.ON_CALL)  # B's replica knows
    return caller


async def test_an_agent_on_node_b_sees_and_closes_a_call_node_a_placed(tmp_path):
    async with two_nodes(tmp_path) as (a, b):
        caller = await _talking_on_a(a, b)
        status, contact = await b.api("GET", "/api/agents/1001/contact")
        assert status == 200, contact
        assert (contact["state"], contact["caller_number"], contact["line_code"]) == (
            "talking",
            "0470123456",
            GENERAL,
        )
        [contact_id] = a.engine.core.contacts
        assert contact["contact_id"] == contact_id

        a.emu.pbx.hangup_from_phone(caller)
        await b.until(lambda: b.agent("1001").activity is Activity.WRAP_UP)
        status, body = await b.api(
            "POST",
            "/api/agents/1001/contact/close",
            {"note": "Vraag over de premie", "reason": "Informatie gegeven", "links": []},
        )
        assert status == 200, body
        assert body["contact_id"] == contact_id
        await b.until(lambda: b.agent("1001").activity is Activity.IDLE)

        [record] = await a.records()
        assert record.id == contact_id
        assert record.registration is not None
        assert (record.registration.note, record.registration.reason) == (
            "Vraag over de premie",
            "Informatie gegeven",
        )
        assert await b.records() == []  # stored once, by the node that held the call


async def test_escalations_and_transfer_are_forwarded_to_the_node_holding_the_call(tmp_path):
    trunk = {NUMBER: EndpointBehaviour.answer(4.0, hangup_after_s=90.0)}
    async with two_nodes(tmp_path, trunk=trunk) as (a, b):
        caller = await _talking_on_a(a, b, "1002")
        status, options = await b.api("GET", "/api/agents/1002/escalations")
        assert status == 200, options
        assert options["state"] == "talking"
        assert POINT in {p["id"] for p in options["escalation_points"]}

        status, body = await b.api("POST", "/api/agents/1002/transfer", {"point_id": POINT})
        assert (status, body["transfer"]) == (202, "dialing"), body
        await a.until(lambda: a.bridged_agent(caller) == "trunk")
        await b.until(lambda: b.agent("1002").activity is Activity.WRAP_UP)
        await a.until(lambda: not a.emu.pbx.channels)
        [record] = await a.records()
        assert (record.outcome, record.escalation_point) == (Outcome.ESCALATED_PHONE, POINT)


async def test_to_survey_is_forwarded_to_the_node_holding_the_call(tmp_path):
    async with two_nodes(tmp_path, config=SURVEY) as (a, b):
        caller = await _talking_on_a(a, b, "1002")
        status, body = await b.api("POST", "/api/agents/1002/survey")
        assert (status, body) == (200, {"agent_id": "1002", "survey": "started"})
        await a.until(lambda: a.bridged_agent(caller) is None)
        assert a.channel_exists(caller)  # with the survey now
        await b.until(lambda: b.agent("1002").activity is Activity.WRAP_UP)
