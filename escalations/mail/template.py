"""E-mail templates: ``string.Template`` text whose first line is the subject.

    Subject: Escalatie ${line_code}: vraag van ${number}

    Beste collega, ... ${note} ... ${handling_term}

Why ``string.Template`` and not Jinja2 (even sandboxed): editors fill these in, and the seed's
templates only put values in places.  ``$name`` substitution has no expressions, loops,
attribute access or filters, so a template can neither run code nor read anything but the values
handed to it; it needs no dependency, and every placeholder can be listed when the template is
loaded (:meth:`string.Template.get_identifiers`), so a misspelt ``${nummer}`` is refused in
``acd check-config`` instead of in the middle of an escalation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template
from zoneinfo import ZoneInfo

from escalations.mail.model import ContactDetails, MailTarget, TemplateError

# Every value a template may ask for, and what it is.
PLACEHOLDERS: dict[str, str] = {
    "number": "the caller's phone number",
    "line": "the line the caller dialled",
    "line_code": "the line code of the call",
    "contact_id": "the contact's id in the contact records",
    "contact_time": "when the call came in (Europe/Brussels, YYYY-MM-DD HH:MM)",
    "note": "the question as the agent noted it",
    "agent": "the agent's name (their id when no name is configured)",
    "agent_id": "the agent's id",
    "point_id": "the escalation point's id",
    "handling_term": "the caller-facing handling term sentence",
    "handling_term_days": "the handling term in working days",
}

SUBJECT_PREFIX = "Subject:"
ZONE = ZoneInfo("Europe/Brussels")

# The generic template, the seed's "Escalatie Template Detail 1700".
DEFAULT_TEMPLATE_NAME = "1700"
DEFAULT_TEMPLATE = """\
Subject: Escalatie ${line_code}: vraag van ${number}

Beste collega,

Een burger belde op ${contact_time} naar ${line} (lijncode ${line_code}) met een vraag
voor jullie dienst.

Telefoonnummer van de burger: ${number}
Contact-id: ${contact_id}
Voorlichter: ${agent}

Vraag:
${note}

Behandeltermijn: ${handling_term_days} werkdagen. ${handling_term}

Met vriendelijke groeten,
Contactcenter 1700
"""

_LINE_BREAKS = re.compile(r"[\r\n]+")


@dataclass(frozen=True, slots=True)
class MailTemplate:
    subject: Template
    body: Template

    def render(self, target: MailTarget, contact: ContactDetails, note: str) -> tuple[str, str]:
        """The subject (on one line) and body for this escalation."""
        values = {
            "number": contact.number,
            "line": contact.line,
            "line_code": contact.line_code,
            "contact_id": contact.contact_id,
            "contact_time": contact.started_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
            "note": note,
            "agent": contact.agent_name or contact.agent_id,
            "agent_id": contact.agent_id,
            "point_id": target.point_id,
            "handling_term": target.handling_term,
            "handling_term_days": str(target.handling_term_days),
        }
        # A note with line breaks must not become extra mail headers: the subject is one line.
        subject = _LINE_BREAKS.sub(" ", self.subject.substitute(values)).strip()
        return subject, self.body.substitute(values)


def parse_template(text: str) -> MailTemplate:
    """The template in ``text``; :class:`TemplateError` naming what is wrong (no subject line,
    an unknown placeholder, a ``$`` that is no placeholder)."""
    first, _, body = text.lstrip("\n").partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise TemplateError(f"the first line must be '{SUBJECT_PREFIX} ...', not {first!r}")
    subject = first.removeprefix(SUBJECT_PREFIX).strip()
    if not subject:
        raise TemplateError("the subject line is empty")
    parts = {"subject": Template(subject), "body": Template(body.lstrip("\n"))}
    for part, template in parts.items():
        if not template.is_valid():
            raise TemplateError(
                f"the {part} has a '$' that is no placeholder (write $$ for a dollar sign)"
            )
        unknown = [name for name in template.get_identifiers() if name not in PLACEHOLDERS]
        if unknown:
            raise TemplateError(
                f"unknown placeholder {', '.join('${' + n + '}' for n in unknown)} in the "
                f"{part}; known: {', '.join(PLACEHOLDERS)}"
            )
    return MailTemplate(parts["subject"], parts["body"])
