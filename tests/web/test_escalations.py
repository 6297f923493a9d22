"""The escalation points on the agent's page: Transfer by phone puts the caller through to the
point inside its window; outside it the button is disabled, with the reason and the next
window beside it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from emulator import EndpointBehaviour
from tests.system.harness import System, system
from tests.web.browser import add_users, chromium, screenshot, sign_in

NUMBER = "+3225532100"  # anb-jacht's phone in tests/system/config


def available(page: Page) -> None:
    sign_in(page, "an")
    page.get_by_role("button", name="Beschikbaar", exact=True).click()
    expect(page.locator("#presence-now")).to_contain_text("Beschikbaar")


async def on_a_call(s: System) -> str:
    caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
    await s.until(lambda: s.bridged_agent(caller) == "1001")
    return caller


async def test_the_agent_transfers_to_a_point_inside_its_window(tmp_path):
    trunk = {NUMBER: EndpointBehaviour.answer(3.0, hangup_after_s=60.0)}
    async with system(tmp_path, trunk=trunk) as s:
        await add_users(s)
        async with chromium(s) as browser:
            page = await browser.page()
            await browser.run(available, page)
            caller = await on_a_call(s)

            def transfer(page: Page) -> None:
                page.reload()  # this test is about the points, not the live updates
                card = page.locator("li.card", has_text="ANB - Team Jacht")
                button = card.get_by_role("button", name="Doorverbinden")
                expect(button).to_be_enabled()
                expect(card).to_contain_text("Behandeltermijn")  # what the caller may be told
                screenshot(page, "agent-escalations")
                button.click()
                expect(page.locator("#escalation-status")).to_contain_text("Doorverbinden met")

            await browser.run(transfer, page)
            await s.until(lambda: s.bridged_agent(caller) == "trunk")


async def test_outside_its_window_the_transfer_is_disabled_with_reason_and_next_window(tmp_path):
    async with system(tmp_path) as s:
        await add_users(s)
        _, point = await s.api("get", "/api/escalation-points/anb-jacht")
        # The test's day is Tuesday 30 March 2027, 11:00 in Brussels: reachable 14:00-16:00.
        point["reachability"] = {day: [] for day in point["reachability"]}
        point["reachability"]["tue"] = ["14:00-16:00"]
        status, body = await s.api("put", "/api/escalation-points/anb-jacht", point)
        assert status == 200, body
        async with chromium(s) as browser:
            page = await browser.page()
            await browser.run(available, page)
            await on_a_call(s)

            def disabled(page: Page) -> None:
                page.reload()
                card = page.locator("li.card", has_text="ANB - Team Jacht")
                expect(card.get_by_role("button", name="Doorverbinden")).to_be_disabled()
                why = card.locator(".why-not").first
                expect(why).to_contain_text("Nu niet telefonisch bereikbaar")
                expect(why).to_contain_text("Volgende venster: 30/03, 14:00\N{EN DASH}16:00")
                screenshot(page, "agent-transfer-disabled")

            await browser.run(disabled, page)
