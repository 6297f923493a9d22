"""Behind a reverse proxy: the client's address, scheme and host come from X-Forwarded-*
headers only when the proxy is one of ``http.trusted_proxies``; from anyone else the headers
are ignored, so a client cannot choose the address its failed logins are counted against."""

from __future__ import annotations

from acd.auth.store import AuditQuery
from tests.auth.client import add_users, browser
from tests.system.harness import START, system

CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.9"
PUBLIC = "https://acd.example.org"


def via_proxy(client: str) -> dict[str, str]:
    """What a TLS-terminating proxy adds, with the browser's own Origin of the public site."""
    return {
        "X-Forwarded-For": f"{client}, 10.1.2.3",  # the proxy's own hop list, then 127.0.0.1
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "acd.example.org",
        "Origin": PUBLIC,
    }


async def test_a_trusted_proxy_gives_the_client_address_scheme_and_host(tmp_path):
    overrides = {"http.trusted_proxies": "127.0.0.1,10.0.0.0/8"}
    async with system(tmp_path, overrides=overrides) as s, browser(s.engine.http_url or "") as b:
        store = s.engine.auth
        assert store is not None
        await add_users(store, START)
        b.origin = None  # the proxy's headers carry the public Origin
        status, body, headers = await b.call(
            "POST",
            "/api/session",
            {"username": "ada", "password": "wrong password!!"},
            headers=via_proxy(CLIENT),
        )
        assert status == 401
        status, body, headers = await b.call(
            "POST",
            "/api/session",
            {"username": "ada", "password": "correct horse battery staple"},
            headers=via_proxy(CLIENT),
        )
        assert status == 200, body
        assert "Secure" in headers["Set-Cookie"]  # https as the browser saw it
        b.csrf = body["csrf_token"]
        # The jar keeps a Secure cookie for https only; the proxy would pass it on as is.
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        # A state change from the public origin passes the Origin check.
        sent = {**via_proxy(CLIENT), "Cookie": cookie}
        assert (await b.call("POST", "/api/agents/1001/login", headers=sent))[0] == 200
        entries = await store.audit_entries(AuditQuery(actor="ada"))
        assert {e.remote for e in entries} == {CLIENT}


async def test_headers_from_an_untrusted_peer_are_ignored(tmp_path):
    overrides = {"auth.max_failures_per_address": "3", "auth.lockout_s": "60"}
    async with system(tmp_path, overrides=overrides) as s, browser(s.engine.http_url or "") as b:
        store = s.engine.auth
        assert store is not None
        await add_users(store, START)
        b.origin = None
        for n, user in enumerate(("u1", "u2", "u3")):
            # A new made-up address each time does not dodge the lockout of the real one.
            headers = {"X-Forwarded-For": f"192.0.2.{n}", "Origin": s.engine.http_url or ""}
            status, _, _ = await b.call(
                "POST",
                "/api/session",
                {"username": user, "password": "wrong password!!"},
                headers=headers,
            )
            assert status == 401
        status, body, _ = await b.call(
            "POST",
            "/api/session",
            {"username": "ada", "password": "correct horse battery staple"},
            headers={"X-Forwarded-For": OTHER_CLIENT, "Origin": s.engine.http_url or ""},
        )
        assert (status, body["error"]) == (429, "login_locked")
        entries = await store.audit_entries(AuditQuery(action="login.failed"))
        assert {e.remote for e in entries if e.actor in ("u1", "u2", "u3")} == {"127.0.0.1"}
