"""A local SMTP server that accepts every mail and keeps a count: where ``acd demo`` sends its
escalation mails, so the whole e-mail path (outbox, sender, SMTP) runs without a mail server.

aiosmtpd speaks the protocol; the server runs on the caller's event loop (the demo's virtual
time sees its traffic) on a free loopback port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


@dataclass
class MailSink:
    """The aiosmtpd handler: each accepted mail's recipients; ``port`` once it listens."""

    port: int = 0
    received: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def settings(self) -> dict[str, str]:
        """The ``mail`` settings (dotted overrides) that send to this sink, unencrypted: it
        listens on the loopback only."""
        return {
            "mail.from_address": "Contactcenter 1700 demo <escalaties@1700.example.org>",
            "mail.smtp.host": HOST,
            "mail.smtp.port": str(self.port),
            "mail.smtp.security": "none",
        }


@asynccontextmanager
async def running_mail_sink() -> AsyncIterator[MailSink]:
    sink = MailSink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="localhost"), HOST, 0)
    sink.port = server.sockets[0].getsockname()[1]
    try:
        yield sink
    finally:
        server.close()
        await server.wait_closed()
