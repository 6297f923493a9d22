"""The workspace's pages in Chromium: signing in lands each role on its own page, an agent
cannot open the supervisor's, presence takes one click, and every page is served with a CSP
that forbids inline script and framing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.system.harness import system
from tests.web.browser import PASSWORD, add_users, chromium, screenshot, sign_in


async def test_an_agent_signs_in_to_their_page_and_cannot_open_the_supervisors(tmp_path):
    async with system(tmp_path) as s:
        await add_users(s)
        async with chromium(s) as browser:
            page = await browser.page()

            def agent_cannot_open_supervisor(page: Page) -> None:
                page.goto("/supervisor")  # no session yet: to the sign-in page
                expect(page).to_have_url(re.compile(r"/\?next=/supervisor$"))
                screenshot(page, "login")
                sign_in(page, "an")
                expect(page).to_have_url(re.compile(r"/agent$"))  # not theirs: their own
                expect(page.locator("#who")).to_have_text("an")
                response = page.goto("/supervisor")
                assert response is not None
                assert response.status == 403
                expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
                page.get_by_role("link", name="Naar uw eigen werkplek").click()
                expect(page).to_have_url(re.compile(r"/agent$"))

            await browser.run(agent_cannot_open_supervisor, page)


async def test_presence_with_a_reason_is_one_click_and_the_engine_has_it(tmp_path):
    async with system(tmp_path) as s:
        await add_users(s)
        async with chromium(s) as browser:
            page = await browser.page()

            def go_to_lunch(page: Page) -> None:
                sign_in(page, "an")
                expect(page.locator("#presence-now")).to_have_text("Afgemeld")
                page.get_by_role("button", name="Middagpauze").click()
                expect(page.locator("#presence-now")).to_contain_text("Middagpauze")

            await browser.run(go_to_lunch, page)
            agent = s.agent("1001")
            assert (agent.presence.value, agent.reason) == ("not_available", "lunch")

            def go_available(page: Page) -> None:
                page.get_by_role("button", name="Beschikbaar", exact=True).click()
                expect(page.locator("#presence-now")).to_contain_text("Beschikbaar")

            await browser.run(go_available, page)
            assert s.agent("1001").presence.value == "available"


async def test_pages_speak_english_on_request_and_forbid_inline_script(tmp_path):
    async with system(tmp_path) as s, chromium(s) as browser:
        page = await browser.page()

        def english(page: Page) -> dict[str, str]:
            response = page.goto("/?lang=en")
            assert response is not None
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.goto("/")  # the choice is remembered
            expect(page.get_by_label("Password")).to_be_visible()
            return response.headers

        headers = await browser.run(english, page)
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"


async def test_an_agent_signs_in_and_takes_a_break_with_the_keyboard_alone(tmp_path):
    async with system(tmp_path) as s, chromium(s) as browser:
        await add_users(s)
        page = await browser.page()

        def keyboard_only(page: Page) -> list[str]:
            page.goto("/")
            keyboard = page.keyboard
            keyboard.type("an")  # the user name field has the focus from the start
            keyboard.press("Tab")
            keyboard.type(PASSWORD)
            keyboard.press("Enter")
            expect(page).to_have_url(re.compile(r"/agent$"))
            expect(page.locator("#presence-now")).to_have_text("Afgemeld")
            visited = []
            for _ in range(10):  # Tab to the break button, noting each stop
                keyboard.press("Tab")
                visited.append(page.evaluate("document.activeElement.textContent"))
                if visited[-1] == "Pauze":
                    break
            keyboard.press("Enter")
            expect(page.locator("#presence-now")).to_contain_text("Pauze")
            return visited

        visited = await browser.run(keyboard_only, page)
        assert visited[-1] == "Pauze"
        assert (s.agent("1001").presence.value, s.agent("1001").reason) == (
            "not_available",
            "break",
        )
