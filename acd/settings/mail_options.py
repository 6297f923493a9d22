"""E-mail escalation (``acd.yaml``, section ``mail``): the sender's address, SMTP and/or a CRM
webhook, retry timing, and the e-mail templates escalation points name.

Optional: without the section the engine refuses e-mail escalation with that reason.  Secrets
(the SMTP password, the CRM token) come from the environment like every other setting
(``ACD_MAIL__SMTP__PASSWORD``, ``ACD_MAIL__CRM__TOKEN``) and are never printed.  Every template
is parsed here, so an unknown placeholder is refused by ``acd check-config`` at start.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import HttpUrl, Seconds, Text
from acd.settings.problems import field_error
from escalations.mail import (
    DEFAULT_TEMPLATE,
    DEFAULT_TEMPLATE_NAME,
    CrmConfig,
    RetryRules,
    SmtpConfig,
    TemplateError,
    Via,
    parse_template,
)

_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _mail_address(value: str) -> str:
    """``escalaties@example.org`` or ``Contactcenter 1700 <escalaties@example.org>``."""
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not (at and local and "." in domain) or any(c in value for c in "\r\n"):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


MailAddress = Annotated[str, AfterValidator(_mail_address)]
Port = Annotated[int, Field(ge=1, le=65535)]


class SmtpSettings(ConfigModel):
    host: Text
    port: Port | None = None  # 587 for starttls, 465 for tls, 25 for none
    # starttls: plain connection upgraded (submission, 587); tls: TLS from the start (465);
    # none: no encryption (a relay on the same host or network only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: Text | None = None
    password: SecretStr | None = None  # set ACD_MAIL__SMTP__PASSWORD instead of writing it here
    timeout_s: Seconds = 30.0

    @model_validator(mode="after")
    def _login_complete(self) -> Self:
        if self.password is not None and self.username is None:
            raise field_error("username", "is needed with a password")
        if self.username is not None and self.password is None:
            raise field_error("password", "is needed with a username (ACD_MAIL__SMTP__PASSWORD)")
        return self

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_PORTS[self.security]


class CrmSettings(ConfigModel):
    url: HttpUrl  # escalation mails are POSTed here as JSON
    token: SecretStr | None = None  # sent as a bearer token; set ACD_MAIL__CRM__TOKEN
    timeout_s: Seconds = 30.0


class MailSettings(ConfigModel):
    from_address: MailAddress
    smtp: SmtpSettings | None = None
    crm: CrmSettings | None = None
    retry_first_s: Seconds = 30.0  # after the first failed try; doubling after each next one
    retry_max_s: Seconds = 1800.0  # the longest wait between tries
    # How long a sender holds a mail while trying it; a crashed sender's mail is tried again
    # after this.  Longer than the SMTP and CRM timeouts.
    claim_s: Seconds = 120.0
    # Templates by name (an escalation point names one); the generic "1700" is always there.
    # validate_default: without a templates key the built-in one must be there all the same.
    templates: dict[Text, str] = Field(default_factory=dict, validate_default=True)

    @field_validator("templates")
    @classmethod
    def _templates_parse(cls, templates: dict[str, str]) -> dict[str, str]:
        for name, text in templates.items():
            try:
                parse_template(text)
            except TemplateError as exc:
                raise field_error(name, str(exc)) from None
        return {DEFAULT_TEMPLATE_NAME: DEFAULT_TEMPLATE, **templates}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.smtp is None and self.crm is None:
            raise field_error("smtp", "give smtp, crm or both: mails need a way out")
        if self.retry_max_s < self.retry_first_s:
            raise field_error(
                "retry_max_s", f"must be at least retry_first_s ({self.retry_first_s:g})"
            )
        for name, section in (("smtp", self.smtp), ("crm", self.crm)):
            if section is not None and not self.claim_s > section.timeout_s * 4 / 3:
                raise field_error(
                    "claim_s",
                    f"must be well over {name}.timeout_s ({section.timeout_s:g}): a try must "
                    "end before another sender may take the mail up",
                )
        return self

    @property
    def channels(self) -> frozenset[Via]:
        found = set()
        if self.smtp is not None:
            found.add(Via.EMAIL)
        if self.crm is not None:
            found.add(Via.CRM)
        return frozenset(found)

    def template(self, name: str) -> str | None:
        """The template text of that name, or None."""
        return self.templates.get(name)

    def smtp_config(self) -> SmtpConfig | None:
        smtp = self.smtp
        if smtp is None:
            return None
        return SmtpConfig(
            host=smtp.host,
            port=smtp.effective_port,
            security=smtp.security,
            from_address=self.from_address,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password is not None else None,
            timeout_s=smtp.timeout_s,
        )

    def crm_config(self) -> CrmConfig | None:
        crm = self.crm
        if crm is None:
            return None
        token = crm.token.get_secret_value() if crm.token is not None else None
        return CrmConfig(url=crm.url, token=token, timeout_s=crm.timeout_s)

    def retry_rules(self) -> RetryRules:
        return RetryRules(
            first=timedelta(seconds=self.retry_first_s),
            most=timedelta(seconds=self.retry_max_s),
            claim=timedelta(seconds=self.claim_s),
        )
