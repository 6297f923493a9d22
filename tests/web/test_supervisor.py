"""The supervisor's page: the wallboard and the waiting contacts show a caller who waits, the
agents table forces an agent to a break (the engine has it, the audit log names the
supervisor) and logs one out."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from acd.engine import inputs as inp
from foundation.contact import Presence
from tests.system.harness import System, system
from tests.web.browser import add_users, chromium, screenshot, sign_in


def queued(s: System) -> bool:
    return any(c.phase.value == "queued" for c in s.engine.runtime.view.contacts.values())


async def test_the_supervisor_sees_a_waiting_caller_and_sends_an_agent_on_a_break(tmp_path):
    async with system(tmp_path) as s:
        await add_users(s)
        s.login("1002")
        s.engine.runtime.submit(inp.SetPresence("1002", Presence.NOT_AVAILABLE, "lunch"))
        await s.until(lambda: s.agent("1002").reason == "lunch")
        # Bart is at lunch, nobody else logged in: the caller waits.
        caller = s.emu.pbx.place_call("1700", caller_number="0470999888")
        await s.until(lambda: queued(s))
        async with chromium(s) as browser:
            page = await browser.page()

            def look_and_act(page: Page) -> None:
                sign_in(page, "sam")
                waiting = page.locator("#waiting tbody tr")
                expect(waiting).to_have_count(1)
                expect(waiting.first).to_contain_text("0470999888")
                row = page.locator("#agents tbody tr", has_text="Bart Janssens")
                # The presence cell (the row's select lists every presence too).
                presence = row.locator("td").first
                expect(presence).to_have_text("Niet beschikbaar \N{EN DASH} Middagpauze")
                screenshot(page, "supervisor")
                row.get_by_label("Beschikbaarheid van Bart Janssens").select_option(
                    "not_available:break"
                )
                row.get_by_role("button", name="Toepassen").click()
                expect(presence).to_have_text("Niet beschikbaar \N{EN DASH} Pauze")

            await browser.run(look_and_act, page)
            agent = s.agent("1002")
            assert (agent.presence.value, agent.reason) == ("not_available", "break")
            status, audit = await s.api("get", "/api/audit?action=agent.presence")
            assert status == 200
            assert [e["actor"] for e in audit["entries"]] == ["sam"]
            s.emu.pbx.hangup_from_phone(caller)
