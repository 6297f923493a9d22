"""``acd run`` refused by a live engine's lease: one line naming it, exit status 2, before
anything talks to Asterisk (the ARI URL here answers nothing)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acd.cli import main
from acd.lease import Holder, LeaseStore, lease_key, migrate
from acd.settings import load_settings

CONFIG = Path(__file__).parents[1] / "system" / "config"


def test_acd_run_refused_by_a_live_engine_says_which_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    overrides = {"ari.url": "http://127.0.0.1:9", "storage.url": storage}
    settings = load_settings(CONFIG, env={}, overrides=overrides)
    key = lease_key(str(settings.ari.url), settings.ari.app)

    async def live_engine_elsewhere() -> None:
        await migrate(storage)
        async with LeaseStore.open(storage) as store:
            # `acd run` reads the real clock: a lease that stays live for the test's length.
            now = datetime.now(UTC)
            holder = Holder("other", "pbx-node-2", 4242)
            won, _ = await store.acquire(key, holder, now, timedelta(hours=1), take_over=False)
            assert won

    asyncio.run(live_engine_elsewhere())
    status = main(
        [
            "run",
            "--config",
            str(CONFIG),
            "--ari-url",
            "http://127.0.0.1:9",
            "--storage-url",
            storage,
            "--listen",
            "127.0.0.1:0",
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("acd:")]
    assert len(lines) == 1
    assert "another engine is running" in lines[0]
    assert "host pbx-node-2, pid 4242" in lines[0]
    assert "--take-over" in lines[0]
