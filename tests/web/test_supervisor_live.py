"""The supervisor's page live: the wallboard shows a new waiting caller within 1 s, and the
listen and barge buttons join the supervisor's phone to an agent's call (a snoop channel in
the emulator, then the phone in the call's bridge)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from acd.engine.view import ContactView
from emulator import EndpointBehaviour
from emulator.model import ChannelKind
from foundation.contact import Activity
from tests.system.harness import System, system
from tests.web.browser import add_users, chromium, screenshot, sign_in

LIVE_MS = 1_000
SUPERVISOR_PHONE = {"2001": EndpointBehaviour.answer(0.5)}


def snoops(s: System) -> list[str]:
    return [c.id for c in s.emu.pbx.channels.values() if c.kind is ChannelKind.SNOOP]


def supervisor_leg(s: System) -> str | None:
    return next((c.id for c in s.emu.pbx.channels.values() if c.endpoint_key == "PJSIP/2001"), None)


def signed_in(page: Page) -> None:
    sign_in(page, "sam")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    row = page.locator("#wallboard tbody tr", has_text="1700 Andere Vragen")
    expect(row.locator("td").first).to_have_text("0")


def waiting_shows(page: Page) -> None:
    row = page.locator("#wallboard tbody tr", has_text="1700 Andere Vragen")
    expect(row.locator("td").first).to_have_text("1", timeout=LIVE_MS)
    expect(page.locator("#waiting tbody tr")).to_contain_text("0470999888", timeout=LIVE_MS)
    screenshot(page, "supervisor-wallboard")


def monitor(page: Page, mode: str) -> None:
    row = page.locator("#agents tbody tr", has_text="An Peeters")
    expect(row.locator("td").nth(1)).to_have_text("In gesprek", timeout=LIVE_MS)  # activity
    page.get_by_label("Mijn toestel (om mee te luisteren)").fill("PJSIP/2001")
    row.get_by_role("button", name=mode).click()
    expect(page.locator("#agents-status")).to_contain_text("uw toestel gaat over")


async def test_the_wallboard_changes_live_and_the_supervisor_listens_then_barges(tmp_path):
    async with system(tmp_path, phones=SUPERVISOR_PHONE) as s, chromium(s) as browser:
        await add_users(s)
        page = await browser.page()
        await browser.run(signed_in, page)

        waiting = s.emu.pbx.place_call("1700", caller_number="0470999888")
        await s.until(lambda: any(c.phase.value == "queued" for c in view(s)))
        await browser.run(waiting_shows, page)
        s.emu.pbx.hangup_from_phone(waiting)
        await s.until(lambda: not s.emu.pbx.channels)

        s.login("1001")
        caller = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.agent("1001").activity is Activity.ON_CALL)
        await browser.run(monitor, page, "Meeluisteren")
        await s.until(lambda: bool(snoops(s)) and bool(s.emu.pbx.bridged_with(snoops(s)[0])))
        sup = supervisor_leg(s)
        assert s.emu.pbx.bridged_with(snoops(s)[0]) == [sup]  # the supervisor hears the agent

        await browser.run(monitor, page, "Inbreken")
        await s.until(lambda: sup in s.emu.pbx.bridged_with(caller))
        assert not snoops(s)
        _, audit = await s.api("GET", "/api/audit?action=agent.monitor_start")
        assert [e["actor"] for e in audit["entries"]] == ["sam", "sam"]


def view(s: System) -> list[ContactView]:
    return list(s.engine.runtime.view.contacts.values())
