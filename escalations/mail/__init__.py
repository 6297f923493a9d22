"""E-mail escalation: templates, the durable outbox, and the sender (SMTP or a CRM webhook).

    escalate_by_email(outbox, target, contact, note, request_key, now)   # store, then send
    render_email(target, contact, note)                                  # the text, to preview
    MailSender(store, transports, clock).start()                          # deliver, retry

Run :func:`migrate` on the database first.
"""

from escalations.mail.escalate import Outbox, escalate_by_email, render_email
from escalations.mail.metrics import MailMetrics
from escalations.mail.migrate import migrate
from escalations.mail.model import (
    ContactDetails,
    EmailEscalationRefused,
    Mail,
    MailStatus,
    MailTarget,
    TemplateError,
    Via,
)
from escalations.mail.retry import RetryRules
from escalations.mail.sender import MailSender
from escalations.mail.store import MailOutboxStore
from escalations.mail.template import (
    DEFAULT_TEMPLATE,
    DEFAULT_TEMPLATE_NAME,
    PLACEHOLDERS,
    MailTemplate,
    parse_template,
)
from escalations.mail.transports import (
    CrmConfig,
    CrmTransport,
    DeliveryFailed,
    SmtpConfig,
    SmtpTransport,
    Transport,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "DEFAULT_TEMPLATE_NAME",
    "PLACEHOLDERS",
    "ContactDetails",
    "CrmConfig",
    "CrmTransport",
    "DeliveryFailed",
    "EmailEscalationRefused",
    "Mail",
    "MailMetrics",
    "MailOutboxStore",
    "MailSender",
    "MailStatus",
    "MailTarget",
    "MailTemplate",
    "Outbox",
    "RetryRules",
    "SmtpConfig",
    "SmtpTransport",
    "TemplateError",
    "Transport",
    "Via",
    "escalate_by_email",
    "migrate",
    "parse_template",
    "render_email",
]
