"""E-mail escalation through the whole engine: a mail stored through the running engine's
outbox reaches a real SMTP server; one stored while the server is down outlives a restart of
the engine and goes once the server is back."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from escalations.mail import MailStatus, escalate_by_email
from tests.escalations.mail.factories import (
    CONTACT,
    JACHT,
    NOTE,
    Inbox,
    free_port,
    key,
    start_smtp,
)
from tests.sla.test_metrics import Exposition
from tests.system.harness import system


def _mail_settings(port: int) -> dict[str, str]:
    return {
        "mail.from_address": "Contactcenter 1700 <escalaties@1700.example.org>",
        "mail.smtp.host": "127.0.0.1",
        "mail.smtp.port": str(port),
        "mail.smtp.security": "none",
    }


async def test_an_escalation_mail_survives_an_smtp_outage_and_an_engine_restart(
    tmp_path: Path,
) -> None:
    port = free_port()
    overrides = _mail_settings(port)
    async with system(tmp_path, overrides=overrides) as first:
        outbox = first.engine.mail_outbox
        assert outbox is not None
        mail, _ = await escalate_by_email(
            outbox, JACHT, CONTACT, NOTE, key(), first.engine.clock.now()
        )

        store = outbox.store

        async def status() -> MailStatus | None:
            stored = await store.get(mail.id)
            return None if stored is None else stored.status

        while await status() is not MailStatus.RETRYING:  # the server is down
            await first.wait(1)
    # The engine is gone; the server comes up; a new engine on the same storage sends it.
    inbox = Inbox()
    server = await start_smtp(inbox, port)
    try:
        async with system(tmp_path, overrides=overrides) as second:
            outbox = second.engine.mail_outbox
            assert outbox is not None
            await second.until(lambda: len(inbox.received) == 1, timeout_s=600)
            await second.wait(1)
            stored = await outbox.store.get(mail.id)
            assert stored is not None
            assert stored.status is MailStatus.DELIVERED
            assert stored.line_code == CONTACT.line_code
            # Counted by the engine that delivered it, in the escalations family.
            seen = Exposition(second.engine.metrics)
            delivered = {"channel": "email", "outcome": "delivered"}
            labels = {"line_code": CONTACT.line_code, "point": JACHT.point_id, **delivered}
            assert seen("acd_escalations_total", **labels) == 1
    finally:
        server.close()
        await server.wait_closed()
    content = inbox.received[0].content
    assert isinstance(content, bytes)
    message = message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert NOTE in message.get_content()


async def test_without_a_mail_section_the_engine_has_no_outbox(tmp_path: Path) -> None:
    async with system(tmp_path) as sys_:
        assert sys_.engine.mail_outbox is None
