"""Templates: filled with the caller, the note, the agent and the handling term; a template
with a placeholder nobody fills is refused when it is loaded, naming it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from escalations.mail import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    TemplateError,
    parse_template,
)
from tests.escalations.mail.factories import CONTACT, JACHT, NOTE, TEMPLATE

pytestmark = pytest.mark.unit


def test_a_template_is_filled_with_the_caller_the_note_the_agent_and_the_handling_term():
    subject, body = parse_template(TEMPLATE).render(JACHT, CONTACT, NOTE)
    assert subject == "Escalatie 1700 Andere Vragen (+3211123456)"
    assert "Vraag van +3211123456 op 2022-12-12 10:15, lijn 1700, contact c-42." in body
    assert "Voorlichter: An Peeters" in body
    assert NOTE in body
    assert body.rstrip().endswith("U krijgt binnen 5 werkdagen een antwoord van het ANB.")


def test_the_agents_id_stands_in_for_a_missing_name():
    _, body = parse_template(TEMPLATE).render(JACHT, replace(CONTACT, agent_name=""), NOTE)
    assert "Voorlichter: a-7" in body


def test_the_default_template_asks_for_the_note_and_the_handling_term():
    subject, body = parse_template(DEFAULT_TEMPLATE).render(JACHT, CONTACT, NOTE)
    assert subject == "Escalatie 1700 Andere Vragen: vraag van +3211123456"
    assert NOTE in body
    assert "Behandeltermijn: 5 werkdagen. U krijgt binnen 5 werkdagen" in body


def test_a_note_cannot_add_mail_headers_through_the_subject():
    template = parse_template("Subject: Vraag: ${note}\n\n${note}\n")
    subject, body = template.render(JACHT, CONTACT, "eerste\r\nBcc: iedereen@example.org")
    assert subject == "Vraag: eerste Bcc: iedereen@example.org"
    assert "\r\nBcc" in body  # the body keeps the note as written


def test_a_dollar_sign_is_written_twice():
    _, body = parse_template("Subject: x\n\nKost $$5 voor ${number}\n").render(JACHT, CONTACT, NOTE)
    assert body == "Kost $5 voor +3211123456\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Subject: x\n\nBeste ${nummer}\n", "unknown placeholder ${nummer} in the body"),
        ("Subject: ${onderwerp}\n\nx\n", "unknown placeholder ${onderwerp} in the subject"),
        ("Subject: x\n\nKost $ 5\n", "'$' that is no placeholder"),
        ("Beste collega,\n\n${note}\n", "the first line must be 'Subject: ...'"),
        ("Subject:   \n\n${note}\n", "the subject line is empty"),
    ],
)
def test_an_unusable_template_is_refused_when_loaded(text: str, reason: str):
    with pytest.raises(TemplateError) as refused:
        parse_template(text)
    assert reason in str(refused.value)


def test_the_refusal_lists_the_known_placeholders():
    with pytest.raises(TemplateError) as refused:
        parse_template("Subject: x\n\n${naam}\n")
    assert all(name in str(refused.value) for name in PLACEHOLDERS)
