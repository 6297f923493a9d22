"""E-mail escalation to a CRM webhook (a local aiohttp server): the mail as JSON with the bearer
token and an idempotency key; retried on 5xx until the CRM takes it; given up on a 4xx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from escalations.mail import (
    CrmConfig,
    CrmTransport,
    MailOutboxStore,
    MailSender,
    MailStatus,
    Outbox,
    RetryRules,
    Via,
    escalate_by_email,
)
from foundation.clock import Clock
from tests.escalations.mail.factories import CONTACT, JACHT, NOTE, eventually, key

pytestmark = pytest.mark.component

CRM_POINT = replace(JACHT, via=Via.CRM, address="")
TOKEN = "crm-token-123"


@dataclass
class Crm:
    """A webhook answering ``answers`` in turn (then 201), keeping every request."""

    answers: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        status = self.answers.pop(0) if self.answers else 201
        return web.json_response({"ok": status < 300}, status=status)


@pytest.fixture
async def crm() -> AsyncIterator[tuple[Crm, str]]:
    crm = Crm()
    app = web.Application()
    app.router.add_post("/escalations", crm.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield crm, f"http://127.0.0.1:{port}/escalations"
    await runner.cleanup()


def _sender(store: MailOutboxStore, url: str) -> MailSender:
    transport = CrmTransport(CrmConfig(url=url, token=TOKEN, timeout_s=10))
    rules = RetryRules(first=timedelta(seconds=30), most=timedelta(minutes=5))
    return MailSender(store, {Via.CRM: transport}, Clock(), rules=rules)


async def _run_until(store: MailOutboxStore, sender: MailSender, mail_id: str, status: MailStatus):
    async def reached() -> bool:
        mail = await store.get(mail_id)
        return mail is not None and mail.status is status

    await sender.start()
    try:
        await eventually(reached)
    finally:
        await sender.stop()


async def test_the_crm_receives_the_mail_as_json_with_its_token(
    outbox_store: MailOutboxStore, crm: tuple[Crm, str]
):
    server, url = crm
    sender = _sender(outbox_store, url)
    outbox = Outbox(outbox_store, sender.channels, notify=sender.wake)
    mail, _ = await escalate_by_email(outbox, CRM_POINT, CONTACT, NOTE, key(), Clock().now())
    await _run_until(outbox_store, sender, mail.id, MailStatus.DELIVERED)
    [(headers, body)] = server.requests
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Idempotency-Key"] == mail.id
    assert body["point_id"] == "anb-jacht"
    assert body["contact_id"] == "c-42"
    assert body["subject"] == "Escalatie 1700 Andere Vragen (+3211123456)"
    assert NOTE in body["body"]
    assert "U krijgt binnen 5 werkdagen een antwoord van het ANB." in body["body"]


async def test_a_failing_crm_is_tried_again_until_it_takes_the_mail(
    outbox_store: MailOutboxStore, crm: tuple[Crm, str]
):
    server, url = crm
    server.answers = [503, 502]
    sender = _sender(outbox_store, url)
    outbox = Outbox(outbox_store, sender.channels, notify=sender.wake)
    mail, _ = await escalate_by_email(outbox, CRM_POINT, CONTACT, NOTE, key(), Clock().now())
    await _run_until(outbox_store, sender, mail.id, MailStatus.DELIVERED)
    assert len(server.requests) == 3
    assert {headers["Idempotency-Key"] for headers, _ in server.requests} == {mail.id}
    done = await outbox_store.get(mail.id)
    assert done is not None
    assert done.attempts == 3
    assert done.last_error is not None
    assert "502" in done.last_error  # the last failure stays readable after delivery


async def test_a_crm_refusing_the_mail_gives_it_up_without_the_token_in_the_error(
    outbox_store: MailOutboxStore, crm: tuple[Crm, str]
):
    server, url = crm
    server.answers = [400]
    sender = _sender(outbox_store, url)
    outbox = Outbox(outbox_store, sender.channels, notify=sender.wake)
    mail, _ = await escalate_by_email(outbox, CRM_POINT, CONTACT, NOTE, key(), Clock().now())
    await _run_until(outbox_store, sender, mail.id, MailStatus.GIVEN_UP)
    stored = await outbox_store.get(mail.id)
    assert stored is not None
    assert stored.last_error is not None
    assert stored.last_error.startswith("webhook answered 400")
    assert TOKEN not in stored.last_error
