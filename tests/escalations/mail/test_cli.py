"""``acd escalation outbox`` as an operator runs it, against a SQLite store named on the
command line: the mails waiting or failed, with their next try and last error."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from acd.cli import main
from acd.cli_parsers import MAIL_STATUSES
from escalations.mail import MailOutboxStore, MailStatus, Via, migrate
from foundation.clock import hold_clock
from tests import postgres
from tests.escalations.mail.factories import MORNING

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"


def seed(url: str) -> dict[str, str]:
    """A mail of each kind: pending, retrying after an outage, given up, delivered."""
    ids: dict[str, str] = {}

    async def work() -> None:
        await migrate(url, hold=hold_clock)
        async with MailOutboxStore.open(url, hold=hold_clock) as store:
            for second, name in enumerate(("pending", "retrying", "given_up", "delivered")):
                mail, _ = await store.enqueue(
                    f"key-{name}",
                    point_id=f"point-{name}",
                    via=Via.EMAIL,
                    address=f"{name}@example.org",
                    subject="Escalatie",
                    body="Vraag",
                    contact_id="c-1",
                    agent_id="a-1",
                    now=MORNING + timedelta(seconds=second),  # listed oldest first
                )
                ids[name] = mail.id
                if name == "pending":
                    continue
                at = MORNING + timedelta(minutes=1)
                claimed = await store.claim(mail.id, at, at + timedelta(minutes=2))
                assert claimed is not None
                if name == "delivered":
                    await store.delivered(claimed, at)
                else:
                    retry_at = at + timedelta(seconds=30) if name == "retrying" else None
                    error = "SMTPConnectError: Error connecting to smtp.example.org on port 587"
                    if name == "given_up":
                        error = "recipient refused: 550 no such mailbox"
                    await store.failed(claimed, at, error, retry_at=retry_at)

    postgres.run_outside_test_loop(work())
    return ids


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str]:
    code = main(["escalation", "outbox", *args, "--config", str(CONFIG), "--storage-url", url])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


@pytest.mark.component
def test_the_outbox_lists_the_mails_waiting_or_failed(capsys: pytest.CaptureFixture[str], url: str):
    ids = seed(url)
    code, out = run(capsys, url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "status", "point", "to", "stored", "tries", "note"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {ids["pending"], ids["retrying"], ids["given_up"]}
    # Times in Brussels: 09:15 UTC is 10:15 there in December.
    assert "retrying" in rows[ids["retrying"]]
    assert "next try 2022-12-12 10:16; SMTPConnectError" in rows[ids["retrying"]]
    assert "given_up" in rows[ids["given_up"]]
    assert "550 no such mailbox" in rows[ids["given_up"]]
    assert "next try" not in rows[ids["given_up"]]


@pytest.mark.component
def test_the_outbox_as_json_by_status(capsys: pytest.CaptureFixture[str], url: str):
    ids = seed(url)
    code, out = run(capsys, url, "--status", "delivered", "--status", "given_up", "--json")
    assert code == 0
    mails = json.loads(out)["mails"]
    assert [m["id"] for m in mails] == [ids["given_up"], ids["delivered"]]
    delivered = mails[1]
    assert delivered["status"] == "delivered"
    assert delivered["delivered_at"] == (MORNING + timedelta(minutes=1)).isoformat()
    assert delivered["attempts"] == 1
    assert "body" not in delivered


@pytest.mark.component
def test_an_empty_outbox_says_so(capsys: pytest.CaptureFixture[str], url: str):
    postgres.run_outside_test_loop(migrate(url))  # the database `acd run` made
    assert run(capsys, url) == (0, "no escalation mails waiting or failed\n")


@pytest.mark.unit
def test_the_command_line_knows_every_status():
    assert set(MAIL_STATUSES) == {status.value for status in MailStatus}
