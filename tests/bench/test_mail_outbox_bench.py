"""The outbox benchmark's scene is what its figures claim: every stored mail delivered, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.mail_outbox import run

pytestmark = pytest.mark.component  # a loopback SMTP server and a SQLite file


async def test_every_stored_mail_is_delivered_once(tmp_path: Path) -> None:
    result = await run(30, f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}")
    assert (result["attempted"], result["delivered"], result["received"]) == (30, 30, 30)
