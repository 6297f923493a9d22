"""The escalation points on the agent's page: Transfer by phone puts the caller through to the
point inside its window; outside it the button is disabled, with the reason and the next
window beside it; Escalate by e-mail shows the point's template filled in, and the text as
the agent edited it is what the outbox holds."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from emulator import EndpointBehaviour
from tests.escalations.mail.factories import free_port
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


async def test_the_e_mail_shows_the_filled_in_template_and_the_edited_text_is_sent(tmp_path):
    # An SMTP server nobody listens on: the mail stays in the outbox, which is what we read.
    mail = {
        "mail.from_address": "Contactcenter 1700 <escalaties@1700.example.org>",
        "mail.smtp.host": "127.0.0.1",
        "mail.smtp.port": str(free_port()),
        "mail.smtp.security": "none",
    }
    async with system(tmp_path, overrides=mail) as s:
        await add_users(s)
        async with chromium(s) as browser:
            page = await browser.page()
            await browser.run(available, page)
            await on_a_call(s)

            def escalate(page: Page) -> None:
                page.reload()
                page.locator("#close-note").fill("Vraag over het jachtexamen")
                card = page.locator("li.card", has_text="ANB - Team Jacht")
                card.get_by_role("button", name="Escaleren per e-mail").click()
                text = card.get_by_label("Tekst van de e-mail")
                expect(text).to_have_value(re.compile("Telefoonnummer van de burger: 0470123456"))
                expect(text).to_have_value(re.compile("Vraag:\nVraag over het jachtexamen\n"))
                expect(card.locator(".mail-subject")).to_contain_text("vraag van 0470123456")
                screenshot(page, "agent-email-preview")
                text.fill(text.input_value().replace("Met vriendelijke groeten", "Groeten"))
                card.get_by_role("button", name="Versturen").click()
                expect(page.locator("#escalation-status")).to_contain_text("klaargezet")

            await browser.run(escalate, page)
            outbox = s.engine.mail_outbox
            assert outbox is not None
            (sent,) = await outbox.store.list()
            assert "Vraag over het jachtexamen" in sent.body
            assert "\nGroeten," in sent.body
            assert "Met vriendelijke groeten" not in sent.body
            assert sent.address == "jacht@example.org"
