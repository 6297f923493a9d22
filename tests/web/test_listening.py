"""The listening page: a reporting user of the line's service finds the day's recording,
plays it in the browser (the engine serves the file in ranges, the audio element's time moves
on), scores it on every criterion, and the score and the audited listen are stored."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from acd.auth.store import AuditQuery
from tests.system.harness import system
from tests.system.recorded import add_reporting_users, record_one_call
from tests.system.test_survey_flow import SURVEY
from tests.web.browser import add_users, chromium, screenshot, sign_in


async def test_a_reporting_user_plays_a_recording_and_scores_it(tmp_path):
    async with system(tmp_path, config=SURVEY) as s:
        await add_users(s)
        assert s.engine.auth is not None
        await add_reporting_users(s)
        name = await record_one_call(s)
        async with chromium(s) as browser:
            page = await browser.page()

            def listen_and_score(page: Page) -> None:
                sign_in(page, "vera")
                expect(page).to_have_url("/listening")  # a reporting user's home
                expect(page.get_by_role("heading", name="Meeluistersessies")).to_be_visible()
                page.get_by_label("Datum").fill("2027-03-30")
                page.get_by_role("button", name="Tonen").click()
                row = page.locator("#recordings tbody tr")
                expect(row).to_have_count(1)
                expect(row).to_contain_text("1700 Andere Vragen")
                expect(row).to_contain_text("1002")
                row.get_by_role("button", name="Beluisteren").click()
                expect(page.locator("#selected-name")).to_have_text(name)
                # Played: the element has data and its clock moves on.
                page.wait_for_function(
                    "() => { const a = document.getElementById('player');"
                    " return a.readyState >= 2 && a.currentTime > 0.3 && !a.paused; }"
                )
                # A seek far into the file: answered from a range, the time there.
                page.evaluate("document.getElementById('player').currentTime = 15")
                page.wait_for_function("() => document.getElementById('player').currentTime > 15.2")
                expect(page.locator("#hold")).to_be_hidden()  # a supervisor's decision
                for legend, score in (
                    ("Begroeting", "4"),
                    ("Correctheid", "5"),
                    ("Volledigheid", "3"),
                    ("Toon", "4"),
                ):
                    page.locator("fieldset", has_text=legend).get_by_label(score).check()
                page.get_by_label("Opmerking").fill("Vriendelijk, antwoord onvolledig")
                page.get_by_role("button", name="Beoordeling bewaren").click()
                expect(page.locator("#score-status")).to_have_text("Beoordeling bewaard.")
                expect(page.locator("#scores tbody tr")).to_contain_text("vera")
                expect(row.locator("td").nth(4)).to_have_text("1")
                screenshot(page, "listening")

            await browser.run(listen_and_score, page)
        status, body = await s.api("get", f"/api/recordings/{name}")
        assert status == 200
        (given,) = body["scores"]
        assert (given["scorer"], given["comment"]) == ("vera", "Vriendelijk, antwoord onvolledig")
        assert given["scores"] == {"greeting": 4, "correctness": 5, "completeness": 3, "tone": 4}
        listens = await s.engine.auth.audit_entries(AuditQuery(action="recording.listen"))
        assert [(e.actor, e.target) for e in listens] == [("vera", f"recording {name}")]
        asked = s.emu.requests("GET", f"/ari/recordings/stored/{name}/file")
        assert len(asked) == 1  # every range the player asked for came from one fetch
