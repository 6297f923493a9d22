"""The ``mail`` section of acd.yaml: optional; SMTP and/or CRM; secrets from the environment;
templates parsed at load, so ``acd check-config`` names an unknown placeholder."""

from __future__ import annotations

import pytest

from acd.settings import check_config, load_settings
from escalations.mail import DEFAULT_TEMPLATE, Via
from foundation.errors import ConfigErrors
from tests.settings.conftest import WriteConfig

MAIL = """\
mail:
  from_address: "Contactcenter 1700 <escalaties@1700.example.org>"
  smtp: {host: smtp.example.org, username: escalaties}
  crm: {url: "https://crm.example.org/api/escalations"}
  templates:
    kort: |
      Subject: Vraag ${number}

      ${note}
      ${handling_term}
"""


def _errors(write_config: WriteConfig, acd_yaml: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigErrors) as refused:
        load_settings(write_config({"acd.yaml": acd_yaml}), env=env or {})
    return str(refused.value)


def test_without_a_mail_section_e_mail_escalation_is_off(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={})
    assert settings.mail is None
    assert "mail: not configured (e-mail escalation is refused)" in check_config(
        write_config(), env={}
    )


def test_secrets_come_from_the_environment(write_config: WriteConfig) -> None:
    env = {"ACD_MAIL__SMTP__PASSWORD": "pw-from-env", "ACD_MAIL__CRM__TOKEN": "tok"}
    settings = load_settings(write_config({"acd.yaml": MAIL}), env=env)
    mail = settings.mail
    assert mail is not None
    assert mail.channels == frozenset({Via.EMAIL, Via.CRM})
    smtp = mail.smtp_config()
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.example.org", 587, "starttls")
    assert (smtp.username, smtp.password) == ("escalaties", "pw-from-env")
    crm = mail.crm_config()
    assert crm is not None
    assert crm.token == "tok"
    assert "pw-from-env" not in repr(settings)
    assert mail.template("1700") == DEFAULT_TEMPLATE
    assert mail.template("kort") is not None


def test_check_config_summarises_mail_without_secrets(write_config: WriteConfig) -> None:
    env = {"ACD_MAIL__SMTP__PASSWORD": "pw-from-env"}
    summary = check_config(write_config({"acd.yaml": MAIL}), env=env)
    assert (
        "mail: from Contactcenter 1700 <escalaties@1700.example.org> via smtp "
        "smtp.example.org:587 (starttls) and crm webhook https://crm.example.org/api/escalations;"
        " templates 1700, kort"
    ) in summary
    assert "pw-from-env" not in summary


def test_an_unknown_placeholder_is_refused_with_the_template_named(
    write_config: WriteConfig,
) -> None:
    text = MAIL.replace("${handling_term}", "${behandeltermijn}")
    errors = _errors(write_config, text, {"ACD_MAIL__SMTP__PASSWORD": "x"})
    assert "acd.yaml: mail.templates.kort: unknown placeholder ${behandeltermijn}" in errors


@pytest.mark.parametrize(
    ("acd_yaml", "expected"),
    [
        (
            'mail: {from_address: "escalaties@1700.example.org"}\n',
            "mail.smtp: give smtp, crm or both",
        ),
        (
            'mail: {from_address: "escalaties", crm: {url: "https://crm.example.org"}}\n',
            "mail.from_address: 'escalaties' is not an e-mail address",
        ),
        (
            'mail: {from_address: "a@b.org", smtp: {host: h, username: u}}\n',
            "mail.smtp.password: is needed with a username",
        ),
        (
            'mail: {from_address: "a@b.org", smtp: {host: h, security: ssl}}\n',
            "mail.smtp.security",
        ),
        (
            'mail: {from_address: "a@b.org", smtp: {host: h, timeout_s: 100}, claim_s: 60}\n',
            "mail.claim_s: must be well over smtp.timeout_s (100)",
        ),
        (
            'mail: {from_address: "a@b.org", crm: {url: "ftp://crm"}}\n',
            "mail.crm.url: 'ftp://crm' is not an http:// or https:// URL",
        ),
    ],
)
def test_a_wrong_mail_section_is_refused_naming_the_key(
    write_config: WriteConfig, acd_yaml: str, expected: str
) -> None:
    assert expected in _errors(write_config, acd_yaml)


def test_a_mail_setting_from_the_environment_alone_asks_for_the_rest(
    write_config: WriteConfig,
) -> None:
    errors = _errors(write_config, "", {"ACD_MAIL__SMTP__PASSWORD": "pw"})
    assert "mail: missing required key 'from_address'" in errors
    assert "mail.smtp: missing required key 'host'" in errors


def test_without_templates_the_built_in_one_is_there(write_config: WriteConfig) -> None:
    smtp_only = 'mail: {from_address: "a@b.org", smtp: {host: smtp.example.org}}\n'
    settings = load_settings(write_config({"acd.yaml": smtp_only}), env={})
    assert settings.mail is not None
    assert settings.mail.template("1700") == DEFAULT_TEMPLATE


POINT_NAMING_TEMPLATES = """\
escalation_points:
  - {id: anb-jacht, editorial_title: "ANB - Team Jacht", email: "jacht@example.org",
     email_template: kort, line_codes: ["1700 Andere Vragen"]}
  - {id: vlabel, editorial_title: "Vlaamse Belastingdienst", email: "vlabel@example.org",
     email_template: belasting, line_codes: ["1700 Belastingen"],
     scheduled_changes: [{on: 2027-01-01, set: {email_template: lang}}]}
"""


def test_a_points_template_missing_from_the_mail_section_is_refused_naming_point_and_template(
    write_config: WriteConfig,
) -> None:
    config = write_config({"acd.yaml": MAIL, "escalation_points.yaml": POINT_NAMING_TEMPLATES})
    with pytest.raises(ConfigErrors) as refused:
        load_settings(config, env={"ACD_MAIL__SMTP__PASSWORD": "x"})
    errors = str(refused.value)
    assert (
        "escalation_points.yaml: escalation_points[1].email_template: point 'vlabel': template"
        " 'belasting' is not in acd.yaml mail.templates (there: '1700', 'kort')"
    ) in errors
    assert "escalation_points[1].scheduled_changes[0].set.email_template: point 'vlabel'" in errors
    assert "'lang'" in errors
    assert "anb-jacht" not in errors  # its template "kort" is defined


def test_without_a_mail_section_a_points_template_is_not_checked(
    write_config: WriteConfig,
) -> None:
    settings = load_settings(
        write_config({"escalation_points.yaml": POINT_NAMING_TEMPLATES}), env={}
    )
    assert [p.email_template for p in settings.escalation_points] == ["kort", "belasting"]
