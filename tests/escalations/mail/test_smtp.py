"""E-mail escalation through a real SMTP server (aiosmtpd on a free port, on the test's loop):
delivered with the expected content; an outage during which the mail waits with its status and
error and is delivered once the server is back; a mailbox refused for good; a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from prometheus_client import CollectorRegistry

from escalations.mail import (
    MailMetrics,
    MailOutboxStore,
    MailSender,
    MailStatus,
    Outbox,
    RetryRules,
    SmtpConfig,
    SmtpTransport,
    Via,
    escalate_by_email,
)
from foundation.clock import Clock
from tests.escalations.mail.factories import (
    CONTACT,
    JACHT,
    NOTE,
    Inbox,
    eventually,
    free_port,
    key,
    start_smtp,
)

pytestmark = pytest.mark.component

RULES = RetryRules(first=timedelta(seconds=30), most=timedelta(minutes=5))
FROM = "Contactcenter 1700 <escalaties@1700.example.org>"


def _sender(store: MailOutboxStore, port: int, metrics: MailMetrics | None = None) -> MailSender:
    config = SmtpConfig(host="127.0.0.1", port=port, security="none", from_address=FROM)
    return MailSender(
        store, {Via.EMAIL: SmtpTransport(config)}, Clock(), rules=RULES, metrics=metrics
    )


@pytest.fixture
async def port() -> int:
    return free_port()


@pytest.fixture
async def inbox(port: int) -> AsyncIterator[Inbox]:
    inbox = Inbox()
    server = await start_smtp(inbox, port)
    yield inbox
    server.close()
    await server.wait_closed()


def _received(inbox: Inbox, index: int = 0) -> EmailMessage:
    content = inbox.received[index].content
    assert isinstance(content, bytes)
    message = message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def _status(store: MailOutboxStore, mail_id: str) -> MailStatus:
    mail = await store.get(mail_id)
    assert mail is not None
    return mail.status


async def test_an_escalation_mail_reaches_the_points_mailbox(
    outbox_store: MailOutboxStore, inbox: Inbox, port: int
):
    store = outbox_store
    registry = CollectorRegistry()
    metrics = MailMetrics(registry)
    sender = _sender(store, port, metrics)
    outbox = Outbox(store, sender.channels, notify=sender.wake, metrics=metrics)
    await sender.start()
    try:
        mail, created = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, key(), Clock().now())
        assert created
        await eventually(lambda: _delivered(store, mail.id))
    finally:
        await sender.stop()
    assert len(inbox.received) == 1
    assert inbox.received[0].rcpt_tos == ["jacht@anb.example.org"]
    message = _received(inbox)
    assert message["To"] == "jacht@anb.example.org"
    assert message["From"] == FROM
    assert message["Subject"] == "Escalatie 1700 Andere Vragen (+3211123456)"
    assert message["Message-ID"] == f"<{mail.id}@acd-escalation>"
    body = message.get_content()
    assert NOTE in body
    assert "U krijgt binnen 5 werkdagen een antwoord van het ANB." in body
    assert "Vraag van +3211123456 op 2022-12-12 10:15, lijn 1700, contact c-42." in body
    assert registry.get_sample_value("acd_escalation_mails_delivered_total", {"via": "email"}) == 1
    assert registry.get_sample_value("acd_escalation_mails_queued_total", {"via": "email"}) == 1
    assert registry.get_sample_value("acd_escalation_mails_waiting") == 0


async def _delivered(store: MailOutboxStore, mail_id: str) -> bool:
    return await _status(store, mail_id) is MailStatus.DELIVERED


async def test_during_an_smtp_outage_the_mail_waits_and_goes_once_the_server_is_back(
    outbox_store: MailOutboxStore, port: int
):
    store = outbox_store
    registry = CollectorRegistry()
    metrics = MailMetrics(registry)
    sender = _sender(store, port, metrics)
    outbox = Outbox(store, sender.channels, notify=sender.wake, metrics=metrics)
    loop = asyncio.get_running_loop()
    started = loop.time()
    mail, _ = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, key(), Clock().now())
    await sender.start()
    inbox = Inbox()
    server: asyncio.Server | None = None
    try:

        async def tried_three_times() -> bool:
            found = await store.get(mail.id)
            return found is not None and found.attempts >= 3

        await eventually(tried_three_times)
        waiting = await store.get(mail.id)
        assert waiting is not None
        assert waiting.status is MailStatus.RETRYING
        assert waiting.last_error is not None
        assert waiting.last_error.startswith("SMTPConnectError: Error connecting to 127.0.0.1")
        # Backoff: 30 s after the first failure, 60 s after the second.
        assert loop.time() - started >= 90
        assert waiting.next_attempt_at is not None
        assert waiting.next_attempt_at - waiting.updated_at == timedelta(seconds=120)
        assert (
            registry.get_sample_value(
                "acd_escalation_mail_attempts_failed_total", {"via": "email", "next": "retrying"}
            )
            == waiting.attempts
        )
        assert registry.get_sample_value("acd_escalation_mails_waiting") == 1
        assert inbox.received == []

        server = await start_smtp(inbox, port)
        await eventually(lambda: _delivered(store, mail.id))
    finally:
        await sender.stop()
        if server is not None:
            server.close()
            await server.wait_closed()
    assert len(inbox.received) == 1
    assert NOTE in _received(inbox).get_content()
    done = await store.get(mail.id)
    assert done is not None
    assert done.attempts == 4
    assert registry.get_sample_value("acd_escalation_mails_waiting") == 0


async def test_a_mailbox_the_server_refuses_for_good_is_given_up_with_the_reason(
    outbox_store: MailOutboxStore, inbox: Inbox, port: int
):
    store = outbox_store
    inbox.refuse = "550 5.1.1 no such mailbox"
    sender = _sender(store, port)
    outbox = Outbox(store, sender.channels, notify=sender.wake)
    await sender.start()
    try:
        mail, _ = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, key(), Clock().now())

        async def given_up() -> bool:
            return await _status(store, mail.id) is MailStatus.GIVEN_UP

        await eventually(given_up)
    finally:
        await sender.stop()
    stored = await store.get(mail.id)
    assert stored is not None
    assert stored.attempts == 1
    assert stored.last_error is not None
    assert "550" in stored.last_error
    assert "no such mailbox" in stored.last_error


async def test_a_password_never_ends_up_in_the_stored_error(
    outbox_store: MailOutboxStore, inbox: Inbox, port: int
):
    store = outbox_store
    # A server whose refusal quotes the password back (some log the whole AUTH exchange).
    inbox.refuse = "451 4.3.0 temporarily failed for s3cr3t-pw"
    config = SmtpConfig(
        host="127.0.0.1",
        port=port,
        security="none",
        from_address=FROM,
        password="s3cr3t-pw",
    )
    sender = MailSender(store, {Via.EMAIL: SmtpTransport(config)}, Clock(), rules=RULES)
    outbox = Outbox(store, sender.channels)
    mail, _ = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, key(), Clock().now())
    assert await sender.send_due() == 1
    stored = await store.get(mail.id)
    assert stored is not None
    assert stored.status is MailStatus.RETRYING  # 4xx: worth another try
    assert stored.last_error is not None
    assert "temporarily failed for ***" in stored.last_error
    assert "s3cr3t-pw" not in stored.last_error


async def test_after_a_restart_waiting_and_half_sent_mails_are_delivered(
    outbox_store: MailOutboxStore, inbox: Inbox, port: int
):
    store = outbox_store
    """Nothing is lost: a mail stored before the crash and one whose sender died mid-send (its
    claim left ``sending``) both go once a new sender runs; the half-sent one after its claim
    has run out, so it may reach the mailbox twice (at least once)."""
    clock = Clock()
    outbox = Outbox(store, frozenset({Via.EMAIL}))  # the engine that crashed: no sender ran
    pending, _ = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, key(), clock.now())
    half_sent, _ = await escalate_by_email(
        outbox, JACHT, CONTACT, "tweede vraag", key(), clock.now()
    )
    claimed = await store.claim(half_sent.id, clock.now(), clock.now() + RULES.claim)
    assert claimed is not None
    assert claimed.status is MailStatus.SENDING

    restarted = _sender(store, port)
    await restarted.start()
    try:
        await eventually(lambda: _delivered(store, pending.id))
        assert await _status(store, half_sent.id) is MailStatus.SENDING
        await eventually(lambda: _delivered(store, half_sent.id))
    finally:
        await restarted.stop()
    bodies = [_received(inbox, i).get_content() for i in range(len(inbox.received))]
    assert sum(NOTE in body for body in bodies) == 1
    assert sum("tweede vraag" in body for body in bodies) == 1
