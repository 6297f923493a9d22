"""Issue 6: an engine killed (SIGKILL) while a callback is dialing, restarted, completes the
callback exactly once, with the agent still logged in.

Unlike the rest of this folder, this runs real processes on the wall clock: ``acd emulator`` and
``acd run`` (twice), talking over loopback HTTP and WebSocket, with the callbacks in a SQLite
file both engines share.  A crash is something only a real process can do: no cleanup, no
``finally``, an open WebSocket dropped and a live call left ringing.

The citizen's first leg rings longer than the restart takes, so the restarted engine must deal
with it while it still rings: it must be gone before the second leg is placed (a citizen whose
phone rings twice at once, or who picks up a call no one is on, is what a crash must not
cause).  Everything waits by polling under generous deadlines, never by fixed sleeps, so a
loaded CI machine is slower but not flaky.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from callbacks import AttemptResult, Callback, CallbackStatus, CallbackStore
from callbacks import migrate as migrate_callbacks
from foundation.clock import hold_clock
from tests.system.processes import (
    ALWAYS_OPEN,
    DEADLINE_S,
    Http,
    engine_api,
    listening,
    process,
    until,
)

IVR = Path(__file__).parent / "config_ivr"
NUMBER = "+32470123456"
CITIZEN = "PJSIP/cb32470123456"  # engine.callback_dial "PJSIP/cb{digits}" of NUMBER
AGENT = "1006"  # the only agent of "Test Terugbellen"
AGENT_ENDPOINT = "PJSIP/1006"
AUTH = "Basic " + base64.b64encode(b"asterisk:asterisk").decode()

# Short timings, so both attempts fit in seconds: the dialer looks twice a second, the whisper
# is a beep (the number read out after it still takes about 5.5 s in the emulator), and the
# engine reconnects quickly.  Only the files these tests depend on change; the rest is
# config_ivr as it is.
ACD_YAML = """\
engine:
  ring_timeout_s: 10
  wrap_up_s: 1
  presence_reasons: [training, lunch, break, missed]
  callback_dial: "PJSIP/cb{digits}"
  callback_whisper: "sound:beep"
  callback_ring_timeout_s: 120
  callback_dialer_interval_s: 0.5
ari:
  reconnect_min_s: 0.1
  reconnect_max_s: 0.5
"""


def test_an_engine_killed_while_dialling_a_callback_completes_it_once_after_restart(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    shutil.copytree(IVR, config)
    (config / "acd.yaml").write_text(ACD_YAML, encoding="utf-8")
    (config / "calendars.yaml").write_text(ALWAYS_OPEN, encoding="utf-8")
    storage = f"sqlite+aiosqlite:///{tmp_path / 'acd.sqlite3'}"
    callback_id = asyncio.run(store_callback(storage))

    emulator_log = tmp_path / "emulator.log"
    with process(["emulator", "--config", str(config), "--port", "0"], emulator_log) as emu:
        emulator = Http(listening(emu, emulator_log, r"ARI emulator listening on (\S+) "), AUTH)
        emulator.put(f"/emulator/endpoints/{AGENT_ENDPOINT}", {"mode": "answer", "ring_s": 0.2})
        # The first leg would ring for ten minutes: longer than any restart, so the restarted
        # engine finds it still ringing (the originate would time out after two).
        emulator.put(f"/emulator/endpoints/{CITIZEN}", {"mode": "answer", "ring_s": 600})
        engine_args = [
            "run",
            "--config",
            str(config),
            "--ari-url",
            emulator.base,
            "--listen",
            "127.0.0.1:0",
            "--storage-url",
            storage,
        ]

        # --- the first engine: it claims the callback, rings the agent, whispers, dials ----
        with process(engine_args, tmp_path / "engine-1.log") as first:
            api = engine_api(first, tmp_path / "engine-1.log")
            api.post(f"/api/agents/{AGENT}/login", {})
            leg1 = until(lambda: citizen_ringing(emulator), "the citizen's phone rings")
            os.kill(first.pid, signal.SIGKILL)  # kill -9: no cleanup of any kind
            first.wait(timeout=DEADLINE_S)
        assert first.returncode == -signal.SIGKILL

        left = asyncio.run(load(storage, callback_id))
        assert left.status is CallbackStatus.DIALING
        assert [(a.seq, a.result) for a in left.attempts] == [(1, None)]
        assert live(emulator, leg1["id"]) is not None  # the crash left it ringing
        # The citizen answers the next call quickly and hangs up after a short talk.
        emulator.put(
            f"/emulator/endpoints/{CITIZEN}",
            {"mode": "answer", "ring_s": 1.0, "hangup_after_s": 2.0},
        )

        # --- the second engine: recovers the callback, cleans up, places it again --------
        # Restarted at once, within the dead engine's lease TTL, with no --take-over: the lease's
        # holder is a process of this host that is gone, so it is taken (acd.lease).
        with process(engine_args, tmp_path / "engine-2.log") as second:
            api = engine_api(second, tmp_path / "engine-2.log")
            # Not logged in again: presence is kept over a restart, so the agent the crash took
            # off the call is available for the second attempt at once.
            assert api.get(f"/api/agents/{AGENT}")["presence"] == "available"

            def completed() -> dict[str, Any] | None:
                view: dict[str, Any] = api.get(f"/api/callbacks/{callback_id}")
                return view if view["status"] == "completed" else None

            until(completed, "the callback is completed")
            calls = emulator.get("/emulator/calls")
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

    done = asyncio.run(load(storage, callback_id))
    assert done.status is CallbackStatus.COMPLETED
    assert [(a.seq, a.result) for a in done.attempts] == [
        (1, AttemptResult.INTERRUPTED),
        (2, AttemptResult.ANSWERED),
    ]
    assert done.agent_id == AGENT

    # The citizen was called exactly twice: the leg the crash left ringing, never answered and
    # gone before the second one was placed, and the second one, answered.
    legs = sorted(
        (c for c in calls if c["name"].startswith(CITIZEN + "-")), key=lambda c: c["created_at"]
    )
    assert len(legs) == 2, legs
    orphan, redial = legs
    assert orphan["id"] == leg1["id"]
    assert orphan["answered_at"] is None
    assert orphan["ended_at"] is not None
    assert orphan["ended_at"] <= redial["created_at"]
    assert redial["answered_at"] is not None


async def store_callback(url: str) -> str:
    """A callback as a caller would have left it: pending, due by this time tomorrow."""
    await migrate_callbacks(url, hold=hold_clock)
    async with CallbackStore.open(url, hold=hold_clock) as store:
        now = datetime.now(UTC)
        callback, _ = await store.request(
            NUMBER,
            "1705",
            "Test Terugbellen",
            None,
            now,
            now + timedelta(days=1),
            "restart-test",
        )
        return callback.id


async def load(url: str, callback_id: str) -> Callback:
    async with CallbackStore.open(url, hold=hold_clock) as store:
        found = await store.get(callback_id)
    assert found is not None
    return found


def citizen_ringing(emulator: Http) -> dict[str, Any] | None:
    for channel in emulator.get("/emulator/channels"):
        if channel["name"].startswith(CITIZEN + "-") and channel["state"] == "Ringing":
            return dict(channel)
    return None


def live(emulator: Http, channel_id: str) -> dict[str, Any] | None:
    return next((c for c in emulator.get("/emulator/channels") if c["id"] == channel_id), None)
