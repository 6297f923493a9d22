"""How an escalation mail leaves the engine: SMTP (aiosmtplib) or a CRM webhook (aiohttp).

A transport either returns (delivered) or raises :class:`DeliveryFailed`, saying whether a
later try may succeed.  Its reason is stored and shown to operators, so it is built from the
server's answer and the error's type only, and the secrets are scrubbed from it as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal, Protocol

import aiohttp
import aiosmtplib

from escalations.mail.model import Mail

Security = Literal["starttls", "tls", "none"]

# HTTP answers worth trying again: the server's trouble, or it asks us to slow down.
_TRANSIENT_HTTP = frozenset({408, 425, 429})


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool) -> None:
        self.reason = reason
        self.permanent = permanent
        super().__init__(reason)


class Transport(Protocol):
    async def send(self, mail: Mail) -> None:
        """Deliver ``mail`` or raise :class:`DeliveryFailed`."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: Security
    from_address: str
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class CrmConfig:
    url: str
    token: str | None = None
    timeout_s: float = 30.0


def message_of(mail: Mail, from_address: str) -> EmailMessage:
    """The e-mail for ``mail``.  Its Message-ID is the mail's id, the same on every try, so
    a receiving system can recognise the copy an at-least-once resend may bring."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = mail.address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = f"<{mail.id}@acd-escalation>"
    message["X-ACD-Escalation-Point"] = mail.point_id
    message["X-ACD-Contact"] = mail.contact_id
    message.set_content(mail.body)
    return message


class SmtpTransport:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, mail: Mail) -> None:
        config = self._config
        try:
            await aiosmtplib.send(
                message_of(mail, config.from_address),
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                timeout=config.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            raise DeliveryFailed(
                self._scrub(f"recipient refused: {'; '.join(str(r) for r in exc.recipients)}"),
                permanent=all(500 <= code < 600 for code in codes),
            ) from None
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            raise DeliveryFailed(
                self._scrub(f"{type(exc).__name__}: {exc.code} {exc.message}"),
                permanent=500 <= exc.code < 600,
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            # A configuration mistake: retried, so the mail goes once the operator fixes it.
            raise DeliveryFailed(
                self._scrub(f"authentication refused: {exc.code} {exc.message}"), permanent=False
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(
                self._scrub(f"{type(exc).__name__}: {exc}"), permanent=False
            ) from None

    def _scrub(self, text: str) -> str:
        return _scrub(text, self._config.password)

    async def close(self) -> None:
        return None


class CrmTransport:
    """POSTs each mail as JSON; an ``Idempotency-Key`` header (the mail's id) lets the CRM
    drop the copy an at-least-once resend may bring."""

    def __init__(self, config: CrmConfig) -> None:
        self._config = config
        self._session: aiohttp.ClientSession | None = None

    async def send(self, mail: Mail) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._config.timeout_s)
            )
        headers = {"Idempotency-Key": mail.id, "Content-Type": "application/json"}
        if self._config.token:
            headers["Authorization"] = f"Bearer {self._config.token}"
        try:
            async with self._session.post(
                self._config.url, data=json.dumps(payload_of(mail)), headers=headers
            ) as response:
                if 200 <= response.status < 300:
                    return
                excerpt = (await response.text())[:200]
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryFailed(
                _scrub(f"{type(exc).__name__}: {exc}", self._config.token), permanent=False
            ) from None
        raise DeliveryFailed(
            _scrub(f"webhook answered {status}: {excerpt}", self._config.token),
            permanent=status < 500 and status not in _TRANSIENT_HTTP,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def payload_of(mail: Mail) -> dict[str, str]:
    return {
        "id": mail.id,
        "request_key": mail.request_key,
        "point_id": mail.point_id,
        "address": mail.address,
        "subject": mail.subject,
        "body": mail.body,
        "contact_id": mail.contact_id,
        "agent_id": mail.agent_id,
        "created_at": mail.created_at.isoformat(),
    }


def _scrub(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text
