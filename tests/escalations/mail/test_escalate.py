"""``escalate_by_email``: stored once per request key and the sender nudged; refused with a
reason (nothing stored) when it cannot be delivered as configured."""

from __future__ import annotations

from dataclasses import replace

import pytest

from escalations.mail import (
    EmailEscalationRefused,
    MailOutboxStore,
    MailStatus,
    Outbox,
    Via,
    escalate_by_email,
)
from tests.escalations.mail.factories import CONTACT, JACHT, MORNING, NOTE, key

pytestmark = pytest.mark.component


async def test_a_retried_request_stores_and_sends_one_mail(outbox_store: MailOutboxStore):
    nudges: list[str] = []
    outbox = Outbox(outbox_store, frozenset({Via.EMAIL}), notify=lambda: nudges.append("wake"))
    request = key()
    first, created = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, request, MORNING)
    again, created_again = await escalate_by_email(outbox, JACHT, CONTACT, NOTE, request, MORNING)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert nudges == ["wake"]
    assert [m.id for m in await outbox_store.list()] == [first.id]
    assert first.status is MailStatus.PENDING
    assert first.address == "jacht@anb.example.org"


@pytest.mark.parametrize(
    ("configured", "target", "note", "error_id", "reason"),
    [
        (None, JACHT, NOTE, "mail_not_configured", "acd.yaml has no 'mail' section"),
        (
            frozenset({Via.EMAIL}),
            replace(JACHT, via=Via.CRM),
            NOTE,
            "crm_not_configured",
            "'anb-jacht' receives its mails via crm, but acd.yaml has no 'mail.crm'",
        ),
        (
            frozenset({Via.EMAIL}),
            replace(JACHT, address=""),
            NOTE,
            "no_email_address",
            "'anb-jacht' has no e-mail address",
        ),
        (frozenset({Via.EMAIL}), JACHT, "  \n", "empty_note", "is empty"),
        (
            frozenset({Via.EMAIL}),
            replace(JACHT, template="Subject: x\n\n${vraag}"),
            NOTE,
            "bad_template",
            "unknown placeholder ${vraag}",
        ),
    ],
)
async def test_an_escalation_that_cannot_be_delivered_is_refused_and_nothing_stored(
    outbox_store: MailOutboxStore,
    configured: frozenset[Via] | None,
    target: object,
    note: str,
    error_id: str,
    reason: str,
):
    outbox = None if configured is None else Outbox(outbox_store, configured)
    with pytest.raises(EmailEscalationRefused) as refused:
        await escalate_by_email(outbox, target, CONTACT, note, key(), MORNING)  # type: ignore[arg-type]
    assert refused.value.error_id == error_id
    assert reason in str(refused.value)
    assert await outbox_store.list() == []
