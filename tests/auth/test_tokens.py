"""API tokens: created by an admin and shown once, held to their scopes, refused once revoked;
/metrics behind a token (or open when configured), /healthz always open."""

from __future__ import annotations

from acd.auth.model import Scope
from tests.auth.client import add_users, browser, machine
from tests.system.harness import START, system


async def test_a_token_is_shown_once_held_to_its_scopes_and_refused_once_revoked(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as ada:
        base = s.engine.http_url or ""
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await ada.login("ada")
        status, made, _ = await ada.call(
            "POST", "/api/tokens", {"name": "crm", "scopes": ["callbacks:read"]}
        )
        assert status == 201
        assert made["token"].startswith("acd_")
        _, listed, _ = await ada.call("GET", "/api/tokens")
        assert [t["name"] for t in listed["tokens"]] == ["system-tests", "crm"]
        assert all("token" not in t for t in listed["tokens"])  # never shown again

        async with machine(base, made["token"]) as crm:
            assert (await crm.call("GET", "/api/callbacks"))[0] == 200
            status, body, _ = await crm.call("GET", "/api/agents")
            assert (status, body["error"]) == (403, "scope_missing")
            status, body, _ = await crm.call("POST", "/api/callbacks/cb-1/cancel", {"reason": "x"})
            assert (status, body["error"]) == (403, "scope_missing")
            # A bearer token is no browser: no origin or CSRF token needed, and whoami works.
            _, me, _ = await crm.call("GET", "/api/session")
            assert (me["name"], me["via"], me["scopes"]) == (
                "token:crm",
                "token",
                ["callbacks:read"],
            )

            assert (await ada.call("DELETE", f"/api/tokens/{made['id']}"))[0] == 200
            status, body, headers = await crm.call("GET", "/api/callbacks")
            assert (status, body["error"]) == (401, "invalid_token")
            assert 'error="invalid_token"' in headers["WWW-Authenticate"]


async def test_a_wrong_or_malformed_authorization_is_401(tmp_path):
    async with system(tmp_path) as s, machine(s.engine.http_url or "", "acd_guessed") as x:
        status, body, _ = await x.call("GET", "/api/agents")
        assert (status, body["error"]) == (401, "invalid_token")
        status, body, _ = await x.call(
            "GET", "/api/agents", headers={"Authorization": "Basic YWRhOnB3"}
        )
        assert (status, body["error"]) == (401, "unsupported_authorization")


async def test_metrics_needs_a_metrics_token_and_healthz_is_open(tmp_path):
    async with system(tmp_path) as s:
        base = s.engine.http_url or ""
        assert s.engine.auth is not None
        scopes = frozenset({Scope.METRICS})
        _, metrics = await s.engine.auth.add_token("prom", scopes, START)
        async with machine(base, None) as anyone, machine(base, metrics) as prometheus:
            assert (await anyone.call("GET", "/metrics"))[0] == 401
            status, text, _ = await prometheus.call("GET", "/metrics")
            assert status == 200
            assert "acd_contacts_offered_total" in text
            assert (await prometheus.call("GET", "/api/agents"))[0] == 403
            status, health, _ = await anyone.call("GET", "/healthz")
            assert status == 200
            assert health["ok"] is True


async def test_metrics_can_be_left_open_by_the_setting(tmp_path):
    async with (
        system(tmp_path, overrides={"auth.metrics": "open"}) as s,
        machine(s.engine.http_url or "", None) as anyone,
    ):
        assert (await anyone.call("GET", "/metrics"))[0] == 200
        assert (await anyone.call("GET", "/api/agents"))[0] == 401


async def test_an_admin_adds_users_through_the_api_checked_as_the_cli_checks_them(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as ada:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await ada.login("ada")
        new = {"username": "chris", "password": "a long password!", "role": "agent"}
        status, body, _ = await ada.call("POST", "/api/users", new | {"agent_id": "1003"})
        assert (status, body["agent_id"]) == (201, "1003")
        for wrong, says in [
            ({"agent_id": "1003", "username": "c2", "password": "short"}, "at least 12"),
            ({"agent_id": "9999", "username": "c3"}, "no agent '9999'"),
            ({"username": "c4"}, "needs the agent id"),
            (
                {"agent_id": "1003", "role": "boss", "username": "c5"},
                "role: must be one of 'agent'",
            ),
        ]:
            status, body, _ = await ada.call("POST", "/api/users", new | wrong)
            assert status == 422
            assert says in body["message"]
        async with browser(s.engine.http_url or "") as chris:
            assert (await chris.login("chris", "a long password!"))[0] == 200
            assert (
                await chris.call("PUT", "/api/agents/1003/presence", {"presence": "available"})
            )[0] == 409
            _, disabled, _ = await ada.call("PUT", "/api/users/chris", {"disabled": True})
            assert disabled["disabled"] is True
            assert (await chris.call("GET", "/api/session"))[0] == 401
