"""Each role against each route of the running engine: allowed, or 403 in the JSON error
format; without credentials 401 with a WWW-Authenticate challenge.  And every route the app
serves has a policy: a route added without one is refused, and stops the engine starting.

The expectations are written out here, not derived from acd.auth.policy: the test must fail
when the table changes by mistake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web

from acd.auth.guard import check_routes
from acd.auth.policy import ROUTES
from tests.auth.client import add_users, browser, machine
from tests.system.harness import START, system

# Every route, with its path filled in: agent 1001 serves line 1700 (which sam supervises).
PATHS = {
    "health": "/healthz",
    "metrics": "/metrics",
    "openapi": "/api/openapi.json",
    "session.login": "/api/session",
    "session.whoami": "/api/session",
    "session.logout": "/api/session",
    "agents.list": "/api/agents",
    "agent.get": "/api/agents/1001",
    "agent.login": "/api/agents/1001/login",
    "agent.logout": "/api/agents/1001/logout",
    "agent.presence": "/api/agents/1001/presence",
    "queues.list": "/api/queues",
    "agent.contact": "/api/agents/1001/contact",
    "agent.contact_close": "/api/agents/1001/contact/close",
    "agent.today": "/api/agents/1001/today",
    "presence_reasons.list": "/api/presence-reasons",
    "wallboard.get": "/api/wallboard",
    "events.live": "/api/events",
    "agent.monitor_start": "/api/agents/1001/monitor",
    "agent.monitor_stop": "/api/agents/1001/monitor",
    "nodes.list": "/api/nodes",
    "agent.escalations": "/api/agents/1001/escalations",
    "agent.email_preview": "/api/agents/1001/escalations/anb-jacht/email-preview",
    "agent.transfer": "/api/agents/1001/transfer",
    "agent.survey": "/api/agents/1001/survey",
    "agent.record": "/api/agents/1001/record",
    "recordings.list": "/api/recordings",
    "recording.get": "/api/recordings/rec-unknown",
    "recording.hold": "/api/recordings/rec-unknown/hold",
    "recording.audio": "/api/recordings/rec-unknown/audio",
    "recording.score": "/api/recordings/rec-unknown/score",
    "agent.escalate_email": "/api/agents/1001/escalate-email",
    "escalation_points.list": "/api/escalation-points",
    "escalation_point.get": "/api/escalation-points/anb-jacht",
    "escalation_point.create": "/api/escalation-points",
    "escalation_point.update": "/api/escalation-points/anb-jacht",
    "escalation_point.delete": "/api/escalation-points/anb-jacht",
    "escalation.rate": "/api/escalations/c-unknown/rating",
    "escalation_ratings.list": "/api/escalation-ratings",
    "escalation_ratings.summary": "/api/escalation-ratings/summary",
    "callbacks.list": "/api/callbacks",
    "callback.get": "/api/callbacks/cb-unknown",
    "callback.cancel": "/api/callbacks/cb-unknown/cancel",
    "callback.reschedule": "/api/callbacks/cb-unknown/reschedule",
    "audit.list": "/api/audit",
    "users.list": "/api/users",
    "user.create": "/api/users",
    "user.update": "/api/users/nobody",
    "tokens.list": "/api/tokens",
    "token.create": "/api/tokens",
    "token.revoke": "/api/tokens/999",
    "page.login": "/",
    "page.static": "/static/app.css",
    "page.agent": "/agent",
    "page.supervisor": "/supervisor",
    "page.listening": "/listening",
}
# Without a session these pages send the browser to the sign-in page (a redirect, followed).
SIGN_IN_FIRST = {"page.agent", "page.supervisor", "page.listening"}
# events.live: a plain GET (no WebSocket upgrade) gets 400 websocket_required once let in.
SIGNED_IN = {"session.whoami", "session.logout", "presence_reasons.list", "events.live"}
AGENT_OWN = {
    "agent.get",
    "agent.login",
    "agent.logout",
    "agent.presence",
    "agent.escalations",
    "agent.email_preview",
    "agent.transfer",
    "agent.survey",
    "agent.escalate_email",
    "agent.contact",
    "agent.contact_close",
    "agent.today",
}
# A supervisor records the calls of their lines' agents (409 here: not on a call).
SUPERVISOR_ACTIONS = {"agent.record"}
SUPERVISOR_LISTS = {
    "agents.list",
    "queues.list",
    "nodes.list",  # the engine nodes: operational, not for reporting
    "escalation_points.list",
    "escalation_point.get",
    "escalation.rate",  # an unknown contact: 404
    "escalation_ratings.list",
    "escalation_ratings.summary",
    "callbacks.list",
    "callback.get",  # an unknown callback: 404, on no one's line
    "callback.cancel",
    "callback.reschedule",
    "audit.list",
    "wallboard.get",
    "recordings.list",
    "recording.get",  # an unknown recording: 404
    "recording.hold",
    "recording.audio",
    "recording.score",
}
# Open to all: the health check, the login, the API's description (it holds no data), the
# sign-in page and the pages' assets.
PUBLIC = {"health", "session.login", "openapi", "page.login", "page.static"}
# Listen, whisper, barge: a supervisor of the agent's line (or an admin), never an agent.
MONITOR = {"agent.monitor_start", "agent.monitor_stop"}
ALLOWED = {
    "ada": set(PATHS) - {"page.agent"},  # an admin is no agent
    "sam": SIGNED_IN
    | AGENT_OWN
    | SUPERVISOR_ACTIONS
    | SUPERVISOR_LISTS
    | MONITOR
    | PUBLIC
    | {"page.supervisor", "page.listening"},
    # Supervises no line: the lists (empty for them), none of line 1700's agents.
    "nel": SIGNED_IN | SUPERVISOR_LISTS | PUBLIC | {"page.supervisor", "page.listening"},
    "an": SIGNED_IN | AGENT_OWN | PUBLIC | {"page.agent"},
    "bart": SIGNED_IN | PUBLIC | {"page.agent"},  # agent 1002, not 1001; their own page
    "rita": SIGNED_IN
    | PUBLIC
    | {"metrics", "agents.list", "agent.get", "queues.list"}
    | {"escalation_ratings.list", "escalation_ratings.summary", "wallboard.get"}
    | {"recordings.list", "recording.get", "recording.audio", "recording.score"}
    | {"page.listening"},
}
# The logout route ends the session the matrix runs on: last.
ORDER = sorted(ROUTES, key=lambda spec: spec.action == "session.logout")


def test_the_matrix_names_every_route_of_the_table():
    assert {spec.action for spec in ROUTES} == set(PATHS)


async def test_without_credentials_every_route_but_health_login_and_description_is_401(tmp_path):
    async with system(tmp_path) as s, machine(s.engine.http_url or "", None) as anyone:
        for spec in ROUTES:
            status, body, headers = await anyone.call(spec.method, PATHS[spec.action])
            if spec.action in PUBLIC:
                assert status not in (401, 403), spec.action
                continue
            if spec.action in SIGN_IN_FIRST:
                assert (status, 'id="login-form"' in body) == (200, True), spec.action
                continue
            assert status == 401, (spec.action, status, body)
            assert body["error"] == "not_authenticated"
            assert set(body) == {"status", "error", "message", "details"}
            assert headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("user", sorted(ALLOWED))
async def test_each_role_is_allowed_its_routes_and_refused_the_rest_with_403(tmp_path, user):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as client:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        assert (await client.login(user))[0] == 200
        wrong = []
        for spec in ORDER:
            # A browser sends Origin on a WebSocket handshake, the guard checks it.
            origin = {"Origin": client.base} if spec.check_origin else None
            status, body, _ = await client.call(spec.method, PATHS[spec.action], headers=origin)
            allowed = spec.action in ALLOWED[user]
            if (allowed and status in (401, 403)) or (not allowed and status != 403):
                wrong.append((spec.method, PATHS[spec.action], status, body))
            if status == 403 and spec.action.startswith("page."):
                assert "Geen toegang" in body  # a page for people, not JSON
            elif status == 403:
                assert set(body) == {"status", "error", "message", "details"}
        assert not wrong, f"{user}: {wrong}"


async def test_a_supervisor_sees_only_their_lines_agents_and_queues(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as sam:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await sam.login("sam")
        _, agents, _ = await sam.call("GET", "/api/agents")
        assert {a["id"] for a in agents["agents"]} == {"1001", "1002", "1003"}
        async with browser(s.engine.http_url or "") as nel:
            await nel.login("nel")
            assert (await nel.call("GET", "/api/agents"))[1] == {"agents": []}
            assert (await nel.call("GET", "/api/queues"))[1] == {"queues": []}
            status, body, _ = await nel.call("POST", "/api/agents/1001/logout")
            assert (status, body["error"]) == (403, "not_your_line")


async def test_reporting_reads_queue_figures_without_the_callers(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as rita:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await rita.login("rita")
        s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.engine.core.contacts)
        await s.wait(10)  # past the welcome prompt, into the queue
        _, body, _ = await rita.call("GET", "/api/queues")
        assert body["queues"]
        assert all("contacts" not in q for q in body["queues"])
        assert sum(q["waiting"] for q in body["queues"]) == 1
        _, full = await s.api("GET", "/api/queues")  # an admin sees who waits
        assert any(q["contacts"] for q in full["queues"])


async def test_every_route_the_engine_serves_has_a_policy_and_every_policy_a_route(tmp_path):
    async with system(tmp_path) as s:
        app = s.engine.api_app
        assert app is not None
        assert check_routes(app) == []
        served = {
            (r.method, r.resource.canonical)
            for r in app.router.routes()
            if r.resource is not None and r.method != "HEAD"
        }
        assert served == {spec.key for spec in ROUTES}


async def test_a_route_without_a_policy_stops_the_app_starting():
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/api/forgotten", handler)
    assert check_routes(app) == ["GET /api/forgotten"]
    from acd.auth.guard import _check_routes_on_startup

    with pytest.raises(RuntimeError, match="GET /api/forgotten"):
        await _check_routes_on_startup(app)


async def test_a_supervisor_acts_on_the_callbacks_of_their_lines_only(tmp_path):
    async with system(tmp_path) as s:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        due = START + timedelta(days=2)
        callback, _ = await s.engine.callbacks.request(
            "+32470123456", "1700", "1700 Andere Vragen", None, START, due, "k-1"
        )
        base = s.engine.http_url or ""
        async with browser(base) as sam, browser(base) as nel:
            await sam.login("sam")
            await nel.login("nel")
            assert [c["id"] for c in (await sam.call("GET", "/api/callbacks"))[1]["callbacks"]] == [
                callback.id
            ]
            assert (await nel.call("GET", "/api/callbacks"))[1] == {"callbacks": []}
            status, body, _ = await nel.call("GET", f"/api/callbacks/{callback.id}")
            assert (status, body["error"]) == (403, "not_your_line")
            cancel = f"/api/callbacks/{callback.id}/cancel"
            assert (await nel.call("POST", cancel, {"reason": "no"}))[0] == 403
            status, body, _ = await sam.call("POST", cancel, {"reason": "asked by phone"})
            assert (status, body["status"]) == (200, "cancelled")
