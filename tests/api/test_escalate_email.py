"""``POST /api/agents/{id}/escalate-email``: the agent's question is stored in the outbox for
the point's mailbox before anything is sent, once per request key, and the call ends as
``escalated_email``; what the rules or the configuration refuse gets a 4xx with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from acd.api import AllowAll, create_api
from acd.engine import inputs as inp
from acd.engine.core import EngineCore
from acd.engine.runtime import EngineRuntime
from acd.escalation_routes import add_escalation_routes
from escalations import MemoryEscalationStore
from escalations.mail import DEFAULT_TEMPLATE, MailOutboxStore, MailStatus, Outbox, Via, migrate
from foundation.clock import Clock, hold_clock
from foundation.contact import ContactEventKind, Outcome
from sla.metrics import EngineMetrics
from tests.api.test_escalations import MONDAY_10, Api
from tests.engine.test_core import GENERAL, HOUSING, make_config
from tests.escalations.factories import jacht
from tests.fakes import FakeAriClient
from tests.sla.test_metrics import Exposition


class Ended:
    """How contacts ended, and the metrics the route counted into."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[Outcome | None, str | None]] = []
        self.metrics = EngineMetrics()

    def contact_event(self, event) -> None:
        if event.kind is ContactEventKind.ENDED:
            self.outcomes.append((event.contact.outcome, event.contact.escalation_point))

    def agent_event(self, event) -> None:
        pass


@pytest.fixture
async def mailing(tmp_path: Path) -> AsyncIterator[tuple[Api, MailOutboxStore, Ended]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    await migrate(url, hold=hold_clock)
    ended = Ended()
    ari = FakeAriClient()
    runtime = EngineRuntime(EngineCore(make_config()), ari, Clock(), [ended], "acd")
    runtime.start()
    points = MemoryEscalationStore(
        [jacht(), jacht(id="no-mail", editorial_title="No mail", may_send_email=False)]
    )
    refused: list[tuple[str, str]] = []
    metrics = ended.metrics
    async with MailOutboxStore.open(url, hold=hold_clock) as store:
        app = create_api(runtime, Clock(), EngineMetrics(), authenticator=AllowAll())
        add_escalation_routes(
            app,
            points,
            runtime,
            line_codes=[GENERAL, HOUSING],
            line_users={GENERAL: "1700"},
            now=lambda: MONDAY_10,
            on_refused=lambda point, reason: refused.append((point, reason)),
            mail_outbox=Outbox(store, frozenset({Via.EMAIL})),
            mail_template=lambda name: DEFAULT_TEMPLATE if name == "1700" else None,
            on_mail_queued=lambda code, point: metrics.escalation(code, point, "email", "queued"),
        )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url_api = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as session:
            yield Api(session, url_api, runtime, ari, points, [MONDAY_10], refused), store, ended
        await runtime.close()
        await runner.cleanup()


QUESTION = {"point_id": "anb-jacht", "note": "Vraag over jachtexamen 2023", "request_key": "k1"}


async def test_the_question_is_stored_for_the_points_mailbox_once_and_the_call_ends_escalated(
    mailing,
):
    api, store, ended = mailing
    api.talking()
    status, body = await api.call("post", "/api/agents/a1/escalate-email", QUESTION)
    assert (status, body["via"], body["status"], body["created"]) == (201, "email", "pending", True)
    again, repeated = await api.call("post", "/api/agents/a1/escalate-email", QUESTION)
    assert (again, repeated["mail_id"], repeated["created"]) == (200, body["mail_id"], False)

    (mail,) = await store.list(statuses=[MailStatus.PENDING])
    assert mail.address == "jacht@vlaanderen.be"
    assert "Vraag over jachtexamen 2023" in mail.body
    assert "0470123456" in mail.body

    (contact,) = api.runtime.core.contacts.values()
    assert contact.caller_channel == "c1"
    api.runtime.submit(inp.ChannelGone("c1", 16))  # the caller hangs up
    assert ended.outcomes == [(Outcome.ESCALATED_EMAIL, "anb-jacht")]
    seen = Exposition(ended.metrics)
    queued = {"line_code": GENERAL, "point": "anb-jacht", "channel": "email", "outcome": "queued"}
    assert seen("acd_escalations_total", **queued) == 1  # the repeated request counts once


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({**QUESTION, "point_id": "no-mail"}, 409, "email_not_allowed"),
        ({**QUESTION, "note": "  "}, 422, "invalid_note"),
        ({**QUESTION, "request_key": None}, 422, "invalid_request_key"),
        ({**QUESTION, "point_id": "nowhere"}, 404, None),
    ],
)
async def test_what_cannot_be_mailed_is_refused_with_the_reason_and_nothing_stored(
    mailing, body, status, error
):
    api, store, _ = mailing
    api.talking()
    got, answer = await api.call("post", "/api/agents/a1/escalate-email", body)
    assert got == status
    if error is not None:
        assert answer["error"] == error
    assert await store.list() == []


async def test_an_agent_without_a_call_cannot_escalate_by_email(mailing):
    api, store, _ = mailing
    api.runtime.submit(inp.AgentLogin("a1"))
    status, body = await api.call("post", "/api/agents/a1/escalate-email", QUESTION)
    assert (status, body["error"]) == (409, "not_on_call")
    assert await store.list() == []


async def test_a_point_naming_a_template_the_mail_section_lacks_is_refused(mailing):
    api, _, _ = mailing
    body = {
        "id": "nieuw",
        "editorial_title": "Nieuw punt",
        "email": "nieuw@example.org",
        "email_template": "onbekend",
        "line_codes": [GENERAL],
    }
    status, refused = await api.call("post", "/api/escalation-points", body)
    assert (status, refused["error"]) == (422, "invalid_escalation_point")
    assert refused["message"] == (
        "email_template: template 'onbekend' is not in acd.yaml mail.templates"
    )
    status, _ = await api.call("post", "/api/escalation-points", {**body, "email_template": "1700"})
    assert status == 201


async def test_the_preview_is_the_points_template_filled_in_and_an_edited_text_is_what_is_sent(
    mailing,
):
    api, store, _ = mailing
    contact_id = api.talking()
    path = "/api/agents/a1/escalations/anb-jacht/email-preview?note=Vraag%20over%20jachtverlof"
    status, preview = await api.call("get", path)
    assert status == 200
    assert (preview["address"], preview["via"], preview["contact_id"]) == (
        "jacht@vlaanderen.be",
        "email",
        contact_id,
    )
    assert preview["subject"] == f"Escalatie {GENERAL}: vraag van 0470123456"
    assert "Vraag:\nVraag over jachtverlof\n" in preview["body"]
    assert f"Contact-id: {contact_id}" in preview["body"]
    assert "${" not in preview["body"]

    edited = preview["body"].replace("Met vriendelijke groeten", "Dank en groeten")
    question = {**QUESTION, "note": "Vraag over jachtverlof", "body": edited}
    status, _ = await api.call("post", "/api/agents/a1/escalate-email", question)
    assert status == 201
    (mail,) = await store.list()
    assert (mail.subject, mail.body) == (preview["subject"], edited)


async def test_the_preview_is_refused_for_a_point_without_e_mail_and_an_agent_without_a_call(
    mailing,
):
    api, _, _ = mailing
    api.runtime.submit(inp.AgentLogin("a1"))
    status, body = await api.call("get", "/api/agents/a1/escalations/anb-jacht/email-preview")
    assert (status, body["error"]) == (409, "not_on_call")
    api.talking()
    status, body = await api.call("get", "/api/agents/a1/escalations/no-mail/email-preview")
    assert (status, body["error"]) == (409, "email_not_allowed")
    assert api.refused == []  # a preview is no refused escalation for the metrics
    status, body = await api.call("get", "/api/agents/a1/escalations/nowhere/email-preview")
    assert (status, body["error"]) == (404, "escalation_point_not_found")


async def test_a_blank_edited_text_is_refused_and_nothing_stored(mailing):
    api, store, _ = mailing
    api.talking()
    question = {**QUESTION, "body": " \n "}
    status, body = await api.call("post", "/api/agents/a1/escalate-email", question)
    assert (status, body["error"]) == (422, "invalid_body_text")
    assert await store.list() == []


async def test_in_wrap_up_the_agent_may_still_escalate_by_e_mail_but_not_transfer(mailing):
    api, store, _ = mailing
    contact_id = api.talking()
    api.runtime.submit(inp.ChannelGone("c1", 16))  # the caller hangs up: the agent wraps up
    assert api.runtime.view.agents["a1"].activity.value == "wrap_up"

    status, found = await api.call("get", "/api/agents/a1/escalations")
    assert (status, found["state"], found["contact_id"]) == (200, "wrap_up", contact_id)
    jacht_point = next(p for p in found["escalation_points"] if p["id"] == "anb-jacht")
    assert jacht_point["may_send_email"] is True
    assert jacht_point["phone_transfer"]["possible"] is False
    assert jacht_point["phone_transfer"]["reason"] == "not_on_call"

    dialled = len(api.ari.called("originate"))
    status, refused = await api.call("post", "/api/agents/a1/transfer", {"point_id": "anb-jacht"})
    assert (status, refused["error"]) == (409, "not_on_call")
    assert len(api.ari.called("originate")) == dialled  # no escalation leg

    status, preview = await api.call("get", "/api/agents/a1/escalations/anb-jacht/email-preview")
    assert (status, preview["contact_id"]) == (200, contact_id)
    status, sent = await api.call("post", "/api/agents/a1/escalate-email", QUESTION)
    assert (status, sent["contact_id"]) == (201, contact_id)
    (mail,) = await store.list()
    assert mail.contact_id == contact_id
    assert "0470123456" in mail.body


async def test_the_talking_state_is_named_with_the_points(mailing):
    api, _, _ = mailing
    api.talking()
    status, found = await api.call("get", "/api/agents/a1/escalations")
    assert (status, found["state"]) == (200, "talking")
