"""Escalation points, callers and servers for the e-mail escalation tests."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiosmtpd.smtp import SMTP, Envelope, Session

from escalations.mail import ContactDetails, MailTarget, Via

# A Monday morning in December, in UTC (10:15 in Brussels).
MORNING = datetime(2022, 12, 12, 9, 15, tzinfo=UTC)

TEMPLATE = """\
Subject: Escalatie ${line_code} (${number})

Vraag van ${number} op ${contact_time}, lijn ${line}, contact ${contact_id}.
Voorlichter: ${agent}

${note}

${handling_term}
"""

JACHT = MailTarget(
    point_id="anb-jacht",
    address="jacht@anb.example.org",
    via=Via.EMAIL,
    template=TEMPLATE,
    handling_term="U krijgt binnen 5 werkdagen een antwoord van het ANB.",
    handling_term_days=5,
)

CONTACT = ContactDetails(
    number="+3211123456",
    line="1700",
    line_code="1700 Andere Vragen",
    contact_id="c-42",
    started_at=MORNING,
    agent_id="a-7",
    agent_name="An Peeters",
)

NOTE = "Vraagt of een jachtvergunning in Limburg geldt; rijksregisternummer 85.07.30-033.61"


def key() -> str:
    return f"req-{uuid.uuid4().hex}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts; ``refuse`` makes it refuse recipients."""

    received: list[Envelope] = field(default_factory=list)
    refuse: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse is not None:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"


async def start_smtp(inbox: Inbox, port: int) -> asyncio.Server:
    """A real SMTP server on this test's loop (so the virtual clock sees its traffic)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(inbox, hostname="localhost"), "127.0.0.1", port)


async def eventually(check: Callable[[], Awaitable[bool]], *, within_s: float = 600) -> None:
    """Wait (in virtual time) until ``check`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not so within {within_s} s")
        await asyncio.sleep(0.5)
