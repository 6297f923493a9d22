"""An agent's working minute in Chromium: available, a call is offered and shows within 1 s,
the agent registers the question with a reason and a link, closes the contact, and the next
caller, who waited meanwhile, is offered at once rather than after the wrap-up time."""

from __future__ import annotations

import re
from collections.abc import Iterable

from playwright.sync_api import Page, expect

from acd.engine.view import ContactView
from foundation.contact import Activity
from tests.system.harness import System, system
from tests.web.browser import add_users, chromium, screenshot, sign_in

LIVE_MS = 1_000  # on screen within 1 s of the engine's change


def available(page: Page) -> None:
    sign_in(page, "an")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    page.get_by_role("button", name="Beschikbaar", exact=True).click()
    expect(page.locator("#presence-now")).to_contain_text("Beschikbaar")


def offered(page: Page, number: str) -> None:
    expect(page.locator("#contact-caller")).to_have_text(number, timeout=LIVE_MS)
    expect(page.locator("#contact-line-code")).to_have_text("1700 Andere Vragen")


def register_and_close(page: Page) -> None:
    expect(page.locator("#contact-state")).to_have_text("Nawerk", timeout=LIVE_MS)
    page.get_by_label("Vraag (notitie)").fill("Vraag over de jachtvergunning")
    page.get_by_label("Contactreden").select_option("Informatie gegeven")
    page.get_by_label("Gebruikte scripts of kennisartikels").fill(
        "https://kennisbank.example.org/jacht"
    )
    screenshot(page, "agent-wrap-up")
    page.get_by_role("button", name="Contact afsluiten").click()


def occupancy_shown(page: Page) -> None:
    """The agent's figures today include their occupancy, as a percentage."""
    figures = page.locator("#today")
    expect(figures).to_contain_text(re.compile(r"Bezettingsgraad\s*\d+ %"), timeout=LIVE_MS)


async def test_a_call_shows_at_once_is_registered_and_the_next_call_follows_at_once(tmp_path):
    async with system(tmp_path) as s, chromium(s) as browser:
        await add_users(s)
        page = await browser.page()
        await browser.run(available, page)
        await s.until(lambda: s.agent("1001").presence.value == "available")

        first = s.emu.pbx.place_call("1700", caller_number="0470111111")
        await s.until(lambda: s.agent("1001").activity is Activity.RINGING)
        await browser.run(offered, page, "0470111111")
        await s.until(lambda: s.bridged_agent(first) == "1001")
        # They talk (briefly: a virtual jump past the WebSocket's 30 s heartbeat would close it,
        # and this test is about the page staying live, not about reconnecting).
        await s.wait(5)
        s.emu.pbx.hangup_from_phone(first)
        await s.until(lambda: s.agent("1001").activity is Activity.WRAP_UP)
        # The next caller waits while the agent is in wrap-up.
        second = s.emu.pbx.place_call("1700", caller_number="0470222222")
        await s.until(lambda: any(c.phase.value == "queued" for c in view(s)))

        await browser.run(register_and_close, page)
        await browser.run(offered, page, "0470222222")
        await browser.run(occupancy_shown, page)
        records = {r.caller_number: r for r in await s.records()}
        registration = records["0470111111"].registration
        assert registration is not None
        assert (registration.note, registration.reason, registration.links) == (
            "Vraag over de jachtvergunning",
            "Informatie gegeven",
            ("https://kennisbank.example.org/jacht",),
        )
        s.emu.pbx.hangup_from_phone(second)
        await s.until(lambda: not s.emu.pbx.channels)
        (_, last) = sorted(await s.records(), key=lambda r: r.arrived_at)
        ended = records["0470111111"].ended_at
        assert ended is not None
        assert last.offered_at is not None
        # Offered the moment the contact was closed, well before the 10 s wrap-up ran out.
        assert (last.offered_at - ended).total_seconds() < 10


def view(s: System) -> Iterable[ContactView]:
    return s.engine.runtime.view.contacts.values()
