"""The audit log: every supervisor, admin and token action (who, what, on whom, when, from
where), none of an agent's own, read back through GET /api/audit with filters."""

from __future__ import annotations

from acd.auth.store import AuditQuery
from tests.auth.client import add_users, browser
from tests.auth.test_role_matrix import ALLOWED, ORDER, PATHS
from tests.system.harness import START, system

AUDITED = [spec for spec in ORDER if spec.audited]  # signing out last


async def test_each_supervisor_and_admin_action_is_written_to_the_audit_log(tmp_path):
    async with system(tmp_path) as s:
        store, base = s.engine.auth, s.engine.http_url or ""
        assert store is not None
        await add_users(store, START)
        for user in ("sam", "ada"):
            done = []
            async with browser(base) as client:
                await client.login(user)
                for spec in AUDITED:
                    if spec.action in ALLOWED[user]:
                        await client.call(spec.method, PATHS[spec.action])
                        done.append(spec.action)
            found = await store.audit_entries(AuditQuery(actor=user, limit=1000))
            logged = [e.action for e in reversed(found) if e.action != "login"]
            assert logged == done, user
            role = "supervisor" if user == "sam" else "admin"
            assert all(e.remote == "127.0.0.1" and e.role == role for e in found)
        # Who did what to whom, and how it was answered.
        (logout,) = await store.audit_entries(AuditQuery(actor="sam", action="agent.logout"))
        assert (logout.target, logout.outcome, logout.lines) == ("agent 1001", 200, ("1700",))
        (delete,) = await store.audit_entries(
            AuditQuery(actor="ada", action="escalation_point.delete")
        )
        assert delete.target == "point anb-jacht"


async def test_an_agents_own_actions_are_not_audited_but_a_refusal_of_a_supervisor_is(tmp_path):
    async with system(tmp_path) as s:
        store, base = s.engine.auth, s.engine.http_url or ""
        assert store is not None
        await add_users(store, START)
        async with browser(base) as an, browser(base) as nel:
            await an.login("an")
            await an.call("POST", "/api/agents/1001/login")
            await nel.login("nel")
            assert (await nel.call("POST", "/api/agents/1001/logout"))[0] == 403
        assert [e.action for e in await store.audit_entries(AuditQuery(actor="an"))] == ["login"]
        refused = await store.audit_entries(AuditQuery(actor="nel", action="agent.logout"))
        assert [e.outcome for e in refused] == [403]


async def test_the_audit_api_filters_and_shows_a_supervisor_only_their_lines(tmp_path):
    async with system(tmp_path) as s:
        store, base = s.engine.auth, s.engine.http_url or ""
        assert store is not None
        await add_users(store, START)
        async with browser(base) as sam, browser(base) as nel, browser(base) as ada:
            await sam.login("sam")
            await sam.call("POST", "/api/agents/1002/login")
            await ada.login("ada")
            _, body, _ = await ada.call("GET", "/api/audit?actor=sam&action=agent.login")
            (entry,) = body["entries"]
            assert entry | {"at": None} == {
                "at": None,
                "actor": "sam",
                "role": "supervisor",
                "action": "agent.login",
                "target": "agent 1002",
                "outcome": 200,
                "remote": "127.0.0.1",
                "lines": ["1700"],
            }
            _, body, _ = await ada.call("GET", "/api/audit?limit=2")
            assert len(body["entries"]) == 2
            status, body, _ = await ada.call("GET", "/api/audit?since=yesterday")
            assert (status, body["error"]) == (422, "invalid_time")
            _, body, _ = await sam.call("GET", "/api/audit")
            assert [e["action"] for e in body["entries"]] == ["agent.login"]
            await nel.login("nel")
            assert (await nel.call("GET", "/api/audit"))[1] == {"entries": []}
