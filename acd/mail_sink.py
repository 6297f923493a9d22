"""Where ``acd demo`` sends its escalation mails, so the whole e-mail path (outbox, sender,
SMTP or the CRM webhook) runs without a mail server or a CRM: a local SMTP server and a local
webhook that accept everything and keep a count.

aiosmtpd speaks SMTP, aiohttp serves the webhook; both run on the caller's event loop (the
demo's virtual time sees their traffic) on free loopback ports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
CRM_PATH = "/escalations"


@dataclass
class MailSink:
    """The aiosmtpd handler and the webhook: what each received; the ports once listening."""

    smtp_port: int = 0
    crm_port: int = 0
    received: list[list[str]] = field(default_factory=list)  # each mail's recipients
    posted: list[str] = field(default_factory=list)  # each webhook call's Idempotency-Key

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    async def crm(self, request: web.Request) -> web.Response:
        await request.read()
        self.posted.append(request.headers.get("Idempotency-Key", ""))
        return web.json_response({"status": "received"}, status=201)

    def settings(self) -> dict[str, str]:
        """The ``mail`` settings (dotted overrides) that send to this sink, unencrypted and
        without a token: it listens on the loopback only."""
        return {
            "mail.from_address": "Contactcenter 1700 demo <escalaties@1700.example.org>",
            "mail.smtp.host": HOST,
            "mail.smtp.port": str(self.smtp_port),
            "mail.smtp.security": "none",
            "mail.crm.url": f"http://{HOST}:{self.crm_port}{CRM_PATH}",
        }


@asynccontextmanager
async def running_mail_sink() -> AsyncIterator[MailSink]:
    sink = MailSink()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(lambda: SMTP(sink, hostname="localhost"), HOST, 0)
    sink.smtp_port = smtp.sockets[0].getsockname()[1]
    app = web.Application()
    app.router.add_post(CRM_PATH, sink.crm)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, 0).start()
        sink.crm_port = runner.addresses[0][1]
        yield sink
    finally:
        await runner.cleanup()
        smtp.close()
        await smtp.wait_closed()
