"""Escalating a caller's question by e-mail: render the point's template, store the mail in the
outbox (before any send) and nudge the sender.  The API route calls :func:`escalate_by_email`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from escalations.mail.metrics import MailMetrics
from escalations.mail.model import (
    ContactDetails,
    EmailEscalationRefused,
    Mail,
    MailTarget,
    TemplateError,
    Via,
)
from escalations.mail.store import MailOutboxStore
from escalations.mail.template import parse_template

MAX_NOTE_LENGTH = 10_000
# The whole mail text as the agent edited it: the template's own text around a long note.
MAX_BODY_LENGTH = 20_000


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Outbox:
    """The outbox as the API sees it: the store, the channels configured, and the sender's
    wake-up (so a new mail goes at once, not at the sender's next look)."""

    store: MailOutboxStore
    channels: frozenset[Via]
    notify: Callable[[], None] = _nothing
    metrics: MailMetrics | None = field(default=None)


async def escalate_by_email(
    outbox: Outbox | None,
    target: MailTarget,
    contact_details: ContactDetails,
    note: str,
    request_key: str,
    now: datetime,
    body: str | None = None,
) -> tuple[Mail, bool]:
    """Store the escalation mail for ``target``; the stored mail and whether it is new (False
    for a request key seen before: the first mail, unchanged and not sent again).  ``body``
    is the mail's text as the agent edited it after :func:`render_email` (None: the
    template's text); the subject is always the template's.

    Refused with :class:`EmailEscalationRefused` (its ``error_id`` for the API) when mail is
    not configured, the point's channel is not, the point has no address, the note is empty
    or too long, or the template is unusable.  Nothing is stored then.
    """
    if outbox is None:
        raise EmailEscalationRefused(
            "mail_not_configured",
            "e-mail escalation is not configured: acd.yaml has no 'mail' section",
        )
    if target.via not in outbox.channels:
        section = "smtp" if target.via is Via.EMAIL else "crm"
        raise EmailEscalationRefused(
            f"{target.via.value}_not_configured",
            f"escalation point {target.point_id!r} receives its mails via {target.via.value},"
            f" but acd.yaml has no 'mail.{section}' section",
        )
    if target.via is Via.EMAIL and not target.address:
        raise EmailEscalationRefused(
            "no_email_address", f"escalation point {target.point_id!r} has no e-mail address"
        )
    if not note.strip():
        raise EmailEscalationRefused("empty_note", "the question to escalate (note) is empty")
    if len(note) > MAX_NOTE_LENGTH:
        raise EmailEscalationRefused(
            "note_too_long", f"the note has {len(note)} characters; at most {MAX_NOTE_LENGTH}"
        )
    if not request_key:
        raise EmailEscalationRefused("no_request_key", "the request key is empty")
    if body is not None and not body.strip():
        raise EmailEscalationRefused("empty_body", "the e-mail's text (body) is empty")
    if body is not None and len(body) > MAX_BODY_LENGTH:
        raise EmailEscalationRefused(
            "body_too_long", f"the body has {len(body)} characters; at most {MAX_BODY_LENGTH}"
        )
    subject, rendered = render_email(target, contact_details, note)
    body = rendered if body is None else body
    mail, created = await outbox.store.enqueue(
        request_key,
        point_id=target.point_id,
        via=target.via,
        address=target.address,
        subject=subject,
        body=body,
        contact_id=contact_details.contact_id,
        agent_id=contact_details.agent_id,
        now=now,
        line_code=contact_details.line_code,
    )
    if created:
        if outbox.metrics is not None:
            outbox.metrics.queued(target.via)
        outbox.notify()
    return mail, created


def render_email(target: MailTarget, contact_details: ContactDetails, note: str) -> tuple[str, str]:
    """The subject and body the point's template makes of this contact and ``note``: what the
    agent sees before sending (and what is sent unless they edit it).  Refused with
    ``bad_template`` when the template is unusable."""
    try:
        template = parse_template(target.template)
    except TemplateError as exc:  # the model validates templates; this is the last guard
        raise EmailEscalationRefused(
            "bad_template", f"escalation point {target.point_id!r}: e-mail template: {exc}"
        ) from None
    return template.render(target, contact_details, note)
