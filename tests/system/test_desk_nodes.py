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

from acd.auth.model import Role
from acd.desk_forwarding import DESK_LINK, answering
from emulator import EndpointBehaviour
from emulator.scripts import Behaviour
from foundation.contact import Activity, Outcome
from tests.auth.client import PASSWORD, browser
from tests.state.conftest import REDIS_URL, drop_prefix, unique_prefix
from tests.system.harness import CONFIG, System, system
from tests.system.test_live_events import Page

SURVEY = Path(__file__).parent / "config_survey"
POINT, NUMBER = "anb-jacht", "+3225532100"
GENERAL = "1700 Andere Vragen"


@asynccontextmanager
async def two_nodes(
    tmp_path: Path,
    config: Path = CONFIG,
    trunk: Mapping[str, Behaviour] | None = None,
    forward_timeout_s: float = 2.0,
    extra: Mapping[str, str] | None = None,
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
                    "redis.forward_timeout_s": str(forward_timeout_s),
                    **(extra or {}),
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
    async with two_nodes(tmp_path) as (a, b), browser(str(b.engine.http_url)) as agent:
        # The agent's browser signs in on B only (B's user store): A reads no credentials.
        assert b.engine.auth is not None
        now = b.engine.clock.now()
        await b.engine.auth.add_user("an", PASSWORD, Role.AGENT, now, agent_id="1001")
        await b.engine.auth.add_user("bart", PASSWORD, Role.AGENT, now, agent_id="1002")
        assert (await agent.login("an"))[0] == 200
        caller = await _talking_on_a(a, b)
        status, contact, _ = await agent.call("GET", "/api/agents/1001/contact")
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
        close = "/api/agents/1001/contact/close"
        # A's refusals are the agent's as A gave them.
        status, body, _ = await agent.call("POST", close, {"note": "", "reason": "Energielening"})
        assert (status, body["error"]) == (422, "unknown_reason")
        status, body, _ = await agent.call(
            "POST",
            close,
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
        assert a.engine.api_app is not None
        assert a.engine.api_app[DESK_LINK].answered == 3


async def test_the_agents_live_page_on_node_b_shows_the_call_node_a_holds(tmp_path):
    async with two_nodes(tmp_path) as (a, b), browser(str(b.engine.http_url)) as agent:
        assert b.engine.auth is not None
        now = b.engine.clock.now()
        await b.engine.auth.add_user("an", PASSWORD, Role.AGENT, now, agent_id="1001")
        assert (await agent.login("an"))[0] == 200
        base = str(b.engine.http_url)
        page = Page(await agent.http.ws_connect(base + "/api/events", origin=base))
        try:

            def shown() -> str | None:
                contacts = page.of("contact")
                return (contacts[-1]["contact"] or {}).get("state") if contacts else None

            caller = await _talking_on_a(a, b)
            await b.until(lambda: shown() == "talking")
            assert page.of("contact")[-1]["contact"]["caller_number"] == "0470123456"
            a.emu.pbx.hangup_from_phone(caller)
            await b.until(lambda: shown() == "wrap_up")
            await b.until(lambda: b.agent("1001").activity is Activity.IDLE, timeout_s=30)
            await b.until(lambda: shown() is None)  # the wrap-up ended on A
        finally:
            await page.close()


async def test_another_agent_is_refused_by_the_node_they_ask_before_anything_is_forwarded(
    tmp_path,
):
    async with two_nodes(tmp_path) as (a, b), browser(str(b.engine.http_url)) as other:
        assert b.engine.auth is not None
        now = b.engine.clock.now()
        await b.engine.auth.add_user("bart", PASSWORD, Role.AGENT, now, agent_id="1002")
        assert (await other.login("bart"))[0] == 200
        await _talking_on_a(a, b)
        status, body, _ = await other.call("GET", "/api/agents/1001/contact")
        assert (status, body["error"]) == (403, "not_your_agent")
        status, body, _ = await other.call(
            "POST", "/api/agents/1001/contact/close", {"note": "", "reason": "Klacht"}
        )
        assert (status, body["error"]) == (403, "not_your_agent")
        assert a.engine.api_app is not None
        assert a.engine.api_app[DESK_LINK].answered == 0


async def test_a_node_that_does_not_answer_is_503_and_a_late_request_is_not_done(tmp_path):
    async with two_nodes(tmp_path, forward_timeout_s=0.2) as (a, b):
        caller = await _talking_on_a(a, b, "1002")
        assert a.engine.api_app is not None
        link = a.engine.api_app[DESK_LINK]
        await link.stop()  # A hangs: its lease still holds, it reads nothing
        status, body = await b.api("POST", "/api/agents/1002/survey")
        assert (status, body["error"]) == (503, "call_node_unavailable")
        assert "node node-a" in body["message"]
        assert "did not answer within 0.2 s" in body["message"]
        assert body["details"] == {"node_id": "node-a"}

        await a.wait(1)
        await link.start(answering(a.engine.api_app))  # A reads the request, past its deadline
        await a.wait(1)
        assert a.bridged_agent(caller) == "1002"  # the survey did not start behind the 503
        assert link.answered == 0
        status, body = await b.api("GET", "/api/agents/1002/contact")  # A answers again
        assert (status, body["state"]) == (200, "talking")


async def test_one_node_answers_its_own_agents_calls_without_redis(tmp_path):
    async with system(tmp_path) as s:
        assert s.engine.api_app is not None
        assert DESK_LINK not in s.engine.api_app
        s.login("1001")
        caller = s.emu.pbx.place_call("1700")
        await s.until(lambda: s.bridged_agent(caller) == "1001")
        status, contact = await s.api("GET", "/api/agents/1001/contact")
        assert (status, contact["state"]) == (200, "talking")


async def test_escalations_and_transfer_are_forwarded_to_the_node_holding_the_call(tmp_path):
    trunk = {NUMBER: EndpointBehaviour.answer(4.0, hangup_after_s=90.0)}
    mail = {"mail.from_address": "cc@example.org", "mail.smtp.host": "127.0.0.1"}
    async with two_nodes(tmp_path, trunk=trunk, extra=mail) as (a, b):
        caller = await _talking_on_a(a, b, "1002")
        status, options = await b.api("GET", "/api/agents/1002/escalations")
        assert status == 200, options
        assert options["state"] == "talking"
        assert POINT in {p["id"] for p in options["escalation_points"]}

        preview = f"/api/agents/1002/escalations/{POINT}/email-preview?note=Vraag%20%C3%A9%26x"
        status, body = await b.api("GET", preview)  # the query string goes along
        assert status == 200, body
        assert "Vraag é&x" in body["body"]

        status, body = await b.api("POST", "/api/agents/1002/transfer", {"point_id": POINT})
        assert (status, body["transfer"]) == (202, "dialing"), body
        await a.until(lambda: a.bridged_agent(caller) == "trunk")
        await b.until(lambda: b.agent("1002").activity is Activity.WRAP_UP)
        # The agent registers the transferred call from B: A still holds their wrap-up.
        registration = {"note": "Doorverbonden", "reason": "Informatie gegeven", "links": []}
        status, body = await b.api("POST", "/api/agents/1002/contact/close", registration)
        assert status == 200, body
        await a.until(lambda: not a.emu.pbx.channels)
        [record] = await a.records()
        assert (record.outcome, record.escalation_point) == (Outcome.ESCALATED_PHONE, POINT)
        assert record.registration is not None
        assert record.registration.note == "Doorverbonden"


async def test_to_survey_is_forwarded_to_the_node_holding_the_call(tmp_path):
    async with two_nodes(tmp_path, config=SURVEY) as (a, b):
        caller = await _talking_on_a(a, b, "1002")
        status, body = await b.api("POST", "/api/agents/1002/survey")
        assert (status, body) == (200, {"agent_id": "1002", "survey": "started"})
        await a.until(lambda: a.bridged_agent(caller) is None)
        assert a.channel_exists(caller)  # with the survey now
        await b.until(lambda: b.agent("1002").activity is Activity.WRAP_UP)
