"""What e-mail escalation costs: storing a mail in the outbox (the API's wait) and delivering
the stored mails to an SMTP server (docs/performance.md, "E-mail escalation outbox").

``--mails`` escalations are stored through ``escalate_by_email`` (template rendered, one
committed INSERT each), then one ``MailSender.send_due`` delivers them all to a local aiosmtpd
server on the same loop, one SMTP session per mail (claim UPDATE, send, delivered UPDATE).  Real
loop, real SQLite file (or ``--url``).

    .venv/bin/python bench/mail_outbox.py [--mails 500] [--url sqlite+aiosqlite:///...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.smtp import SMTP, Envelope, Session

from escalations.mail import (
    DEFAULT_TEMPLATE,
    ContactDetails,
    MailOutboxStore,
    MailSender,
    MailStatus,
    MailTarget,
    Outbox,
    SmtpConfig,
    SmtpTransport,
    Via,
    escalate_by_email,
    migrate,
)
from foundation.clock import Clock


class _Count:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received += 1
        return "250 OK"


async def run(mails: int, url: str) -> dict[str, Any]:
    clock = Clock()
    await migrate(url, hold=clock.hold)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Count()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox, hostname="localhost"), "127.0.0.1", port)
    target = MailTarget("bench", "bench@example.org", Via.EMAIL, DEFAULT_TEMPLATE, "Binnen 5.", 5)
    contact = ContactDetails("+3211123456", "1700", "1700 Andere Vragen", "c", clock.now(), "a")
    try:
        async with MailOutboxStore.open(url, hold=clock.hold) as store:
            config = SmtpConfig("127.0.0.1", port, "none", "bench@1700.example.org")
            sender = MailSender(store, {Via.EMAIL: SmtpTransport(config)}, clock, batch=100)
            outbox = Outbox(store, sender.channels)
            started = time.perf_counter()
            for index in range(mails):
                await escalate_by_email(
                    outbox, target, contact, f"vraag {index}", f"k{index}", clock.now()
                )
            stored_s = time.perf_counter() - started
            started = time.perf_counter()
            attempted = await sender.send_due()
            sent_s = time.perf_counter() - started
            delivered = len(await store.list(statuses=[MailStatus.DELIVERED], limit=mails + 1))
    finally:
        server.close()
        await server.wait_closed()
    return {
        "mails": mails,
        "attempted": attempted,
        "delivered": delivered,
        "received": inbox.received,
        "store_ms_per_mail": round(stored_s * 1000 / mails, 2),
        "delivered_per_s": round(mails / sent_s, 1),
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        url = args.url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        print(json.dumps(asyncio.run(run(args.mails, url)), indent=2))


if __name__ == "__main__":
    main()
