"""Passwords, tokens, session cookies and CSRF tokens never reach a log line, at any level,
whatever the request did: signed in, failed, locked out, refused, or made a token."""

from __future__ import annotations

import logging

import pytest

from tests.auth.client import PASSWORD, add_users, browser, machine
from tests.system.harness import START, system


async def test_no_credential_appears_in_the_captured_logs(
    tmp_path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    overrides = {"auth.max_failures_per_user": "2", "log_level": "DEBUG"}
    secrets: list[str] = [PASSWORD, "wrong password, typed by ada"]
    async with system(tmp_path, overrides=overrides) as s:
        base = s.engine.http_url or ""
        assert s.engine.auth is not None
        await add_users(s.engine.auth, START)
        secrets.append(s.token)
        async with browser(base) as ada:
            for _ in range(3):  # failed, then locked out
                await ada.login("sam", secrets[1])
            await ada.login("ada")
            secrets += [ada.csrf or "", *(c.value for c in ada.http.cookie_jar)]
            _, made, _ = await ada.call("POST", "/api/tokens", {"name": "x", "scopes": ["admin"]})
            secrets.append(made["token"])
            await ada.call("POST", "/api/agents/1001/login", headers={"X-CSRF-Token": "bad"})
            await ada.call("GET", "/api/agents")
        async with machine(base, made["token"]) as bot, machine(base, "acd_wrong_one") as bad:
            await bot.call("GET", "/api/agents")
            await bad.call("GET", "/api/agents")
    text = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert len(caplog.records) > 10  # the engine did log at DEBUG meanwhile
    assert all(len(secret) >= 20 for secret in secrets)
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == []
