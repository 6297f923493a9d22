"""Browser sessions: the cookie, origin and CSRF checks on every state-changing request, expiry,
sign-out, and the login lockout with its expiry, on the engine's virtual clock."""

from __future__ import annotations

from acd.auth.store import AuditQuery
from tests.auth.client import PASSWORD, add_users, browser
from tests.system.harness import START, system


async def test_login_sets_a_strict_httponly_cookie_and_whoami_gives_the_csrf_token(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as sam:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        status, body, headers = await sam.call(
            "POST", "/api/session", {"username": "sam", "password": PASSWORD}
        )
        assert status == 200
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Path=/" in cookie
        assert "Secure" not in cookie  # served over plain HTTP (cookie_secure: auto)
        sam.csrf = body["csrf_token"]
        _, me, _ = await sam.call("GET", "/api/session")
        assert me == {
            "name": "sam",
            "via": "session",
            "role": "supervisor",
            "agent_id": None,
            "lines": ["1700"],
            "scopes": [],
            "csrf_token": body["csrf_token"],
        }


async def test_state_changes_need_our_origin_and_the_csrf_token(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as sam:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await sam.login("sam")
        path, base = "/api/agents/1001/login", s.engine.http_url

        async def refused(headers: dict[str, str]) -> tuple[int, str]:
            status, body, _ = await sam.call("POST", path, headers=headers)
            return status, body["error"]

        sam.origin, csrf = None, sam.csrf
        assert await refused({}) == (403, "origin_missing")
        assert await refused({"Origin": "https://evil.example"}) == (403, "origin_refused")
        assert await refused({"Referer": "https://evil.example/page"}) == (403, "origin_refused")
        sam.origin, sam.csrf = base, None
        assert await refused({}) == (403, "csrf_token_missing")
        assert await refused({"X-CSRF-Token": "guessed"}) == (403, "csrf_token_invalid")
        # A referer of our own pages does as well as an Origin.
        sam.origin, sam.csrf = None, csrf
        status, _, _ = await sam.call("POST", path, headers={"Referer": f"{base}/ui/agents"})
        assert status == 200
        assert s.agent("1001").presence.value != "logged_out"
        # Reads need neither.
        sam.origin, sam.csrf = None, None
        assert (await sam.call("GET", "/api/agents/1001"))[0] == 200


async def test_a_login_posted_from_another_site_is_refused(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as sam:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        sam.origin = "https://evil.example"
        status, body = await sam.login("sam")
        assert (status, body["error"]) == (403, "origin_refused")


async def test_a_session_ends_when_idle_too_long_and_at_its_absolute_limit(tmp_path):
    overrides = {"auth.session_idle_s": "600", "auth.session_absolute_s": "1800"}
    async with system(tmp_path, overrides=overrides) as s, browser(s.engine.http_url or "") as an:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await an.login("an")
        await s.wait(590)
        assert (await an.call("GET", "/api/agents/1001"))[0] == 200  # in use: kept
        for _ in range(2):  # used every 500 s: never idle, 1590 s old
            await s.wait(500)
            assert (await an.call("GET", "/api/agents/1001"))[0] == 200
        await s.wait(250)  # 1840 s old, idle 250 s
        status, body, _ = await an.call("GET", "/api/agents/1001")
        assert (status, body["error"]) == (401, "session_expired")
        await an.login("an")
        await s.wait(601)
        status, body, _ = await an.call("GET", "/api/agents/1001")
        assert (status, body["error"]) == (401, "session_expired")


async def test_sign_out_ends_the_session(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as an:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        await an.login("an")
        cookie = next(iter(an.http.cookie_jar))
        assert (await an.call("DELETE", "/api/session"))[0] == 200
        an.http.cookie_jar.update_cookies({cookie.key: cookie.value})  # kept by an attacker
        status, body, _ = await an.call("GET", "/api/session")
        assert (status, body["error"]) == (401, "session_expired")


async def test_disabling_a_user_or_changing_the_password_ends_their_sessions(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as an:
        store = s.engine.auth
        assert store is not None
        await add_users(store, START)
        await an.login("an")
        await store.set_password("an", "another long password")
        assert (await an.call("GET", "/api/session"))[0] == 401
        assert (await an.login("an"))[0] == 401  # the old password
        assert (await an.login("an", "another long password"))[0] == 200
        await store.set_disabled("an", True)
        assert (await an.call("GET", "/api/session"))[0] == 401
        status, body = await an.login("an", "another long password")
        assert (status, body["error"]) == (401, "login_failed")


async def test_repeated_failures_lock_the_user_out_until_the_lockout_expires(tmp_path):
    overrides = {"auth.max_failures_per_user": "3", "auth.lockout_s": "300"}
    async with system(tmp_path, overrides=overrides) as s, browser(s.engine.http_url or "") as x:
        store = s.engine.auth
        assert store is not None
        await add_users(store, START)
        for _ in range(3):
            status, body = await x.login("sam", "wrong password!!")
            assert (status, body["error"]) == (401, "login_failed")
        # Locked now: even the right password is refused, and says when to come back.
        status, body, headers = await x.call(
            "POST", "/api/session", {"username": "sam", "password": PASSWORD}
        )
        assert (status, body["error"]) == (429, "login_locked")
        assert 299 <= int(headers["Retry-After"]) <= 301
        assert (await x.login("ada"))[0] == 200  # another user from the same address
        await s.wait(301)
        assert (await x.login("sam"))[0] == 200
        actions = [e.action for e in await store.audit_entries(AuditQuery(actor="sam"))]
        assert actions == [
            "login",
            "login.refused_locked",
            "login.lockout",
            "login.failed",
            "login.failed",
            "login.failed",
        ]


async def test_one_address_failing_for_many_users_is_locked_out(tmp_path):
    overrides = {"auth.max_failures_per_address": "4", "auth.lockout_s": "60"}
    async with system(tmp_path, overrides=overrides) as s, browser(s.engine.http_url or "") as x:
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        for name in ("u1", "u2", "u3", "u4"):
            assert (await x.login(name, "wrong password!!"))[0] == 401
        status, body = await x.login("ada")
        assert (status, body["error"]) == (429, "login_locked")
        await s.wait(61)
        assert (await x.login("ada"))[0] == 200


async def test_a_big_login_body_is_refused_before_it_is_read_as_json(tmp_path):
    async with system(tmp_path) as s, browser(s.engine.http_url or "") as x:
        status, body, _ = await x.call("POST", "/api/session", {"username": "a" * 10_000})
        assert (status, body["error"]) == (413, "body_too_large")
        assert body["details"] == {"max_bytes": 4096}


async def test_an_engine_without_users_says_how_to_create_the_first_admin(tmp_path, caplog):
    async with system(tmp_path):
        pass
    assert "acd users add NAME --role admin" in caplog.text
