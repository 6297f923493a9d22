"""Issue 10: a restart never cuts a conversation.  The engine is killed (SIGKILL) while a caller
talks to an agent, or while the agent's phone rings, and started again on the same database:
the call goes on, and is recorded once when it ends.

Real processes on the wall clock (``acd emulator`` and ``acd run`` twice; see
``tests/system/processes.py``): only a real process can die without cleaning up.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.system.processes import (
    ALWAYS_OPEN,
    DEADLINE_S,
    Http,
    engine_api,
    listening,
    process,
    until,
)

CONFIG = Path(__file__).parent / "config"
AUTH = "Basic " + base64.b64encode(b"asterisk:asterisk").decode()
AGENT = "1001"
ACD_YAML = """\
engine:
  ring_timeout_s: 60
  wrap_up_s: 1
  presence_reasons: [training, lunch, break, missed]
ari:
  reconnect_min_s: 0.1
  reconnect_max_s: 0.5
"""


@dataclass
class Setup:
    emulator: Http
    engine_args: list[str]
    db: Path
    logs: Path

    @contextmanager
    def engine(self, name: str) -> Iterator[tuple[Http, Any]]:
        log = self.logs / f"{name}.log"
        with process(self.engine_args, log) as proc:
            yield engine_api(proc, log), proc

    def call(self) -> str:
        placed = self.emulator.post("/emulator/calls", {"number": "1700", "caller_number": "0470"})
        return str(placed["channel_id"])

    def row(self, channel_id: str) -> dict[str, Any] | None:
        """The contact row of a caller's channel, as the engine wrote it."""
        with sqlite3.connect(self.db) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM contacts WHERE channel_id = ?", (channel_id,))
            found = [dict(r) for r in rows]
        assert len(found) <= 1, found  # recorded once
        return found[0] if found else None

    def bridged_with(self, channel_id: str) -> list[str]:
        for bridge in self.emulator.get("/emulator/bridges"):
            if channel_id in bridge["channels"]:
                return [c for c in bridge["channels"] if c != channel_id]
        return []

    def agent_legs(self) -> list[dict[str, Any]]:
        return [
            c for c in self.emulator.get("/emulator/calls") if c["name"].startswith("PJSIP/1001-")
        ]


@contextmanager
def emulator_and_engine(tmp_path: Path, source: Path = CONFIG) -> Iterator[Setup]:
    config = tmp_path / "config"
    shutil.copytree(source, config)
    (config / "acd.yaml").write_text(ACD_YAML, encoding="utf-8")
    (config / "calendars.yaml").write_text(ALWAYS_OPEN, encoding="utf-8")
    log = tmp_path / "emulator.log"
    with process(["emulator", "--config", str(config), "--port", "0"], log) as emu:
        emulator = Http(listening(emu, log, r"ARI emulator listening on (\S+) "), AUTH)
        db = tmp_path / "acd.sqlite3"
        args = ["run", "--config", str(config), "--ari-url", emulator.base, "--listen"]
        args += ["127.0.0.1:0", "--storage-url", f"sqlite+aiosqlite:///{db}"]
        yield Setup(emulator, args, db, tmp_path)


def kill(proc: Any) -> None:
    os.kill(proc.pid, signal.SIGKILL)  # kill -9: no cleanup of any kind
    proc.wait(timeout=DEADLINE_S)


def agent(api: Http) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/api/agents/{AGENT}")
    return found


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_call_bridged_when_the_engine_is_killed_goes_on_and_is_recorded_once(
    tmp_path: Path,
) -> None:
    with emulator_and_engine(tmp_path) as pbx:
        pbx.emulator.put("/emulator/endpoints/PJSIP/1001", {"mode": "answer", "ring_s": 0.2})
        with pbx.engine("engine-1") as (api, first):
            api.post(f"/api/agents/{AGENT}/login", {})
            caller = pbx.call()
            (leg,) = until(lambda: pbx.bridged_with(caller), "the caller talks to the agent")
            before = until(
                lambda: (row := pbx.row(caller)) and row["answered_at"] and row,
                "the answer is on disk",
            )
            kill(first)

        with pbx.engine("engine-2") as (api, second):
            assert agent(api)["activity"] == "on_call"
            assert agent(api)["contact_id"] == before["id"]
            assert pbx.bridged_with(caller) == [leg]  # still talking: nothing was cut
            pbx.emulator.post(f"/emulator/channels/{caller}/hangup", {})
            after = until(
                lambda: (row := pbx.row(caller)) and row["ended_at"] and row,
                "the call is recorded as ended",
            )
            until(lambda: agent(api)["activity"] == "idle", "the agent is idle after wrap-up")
            assert leg not in {c["id"] for c in pbx.emulator.get("/emulator/channels")}
            assert len(pbx.agent_legs()) == 1  # the agent was never rung again
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

    assert after["id"] == before["id"]
    assert after["outcome"] == "answered"
    assert after["agent_id"] == AGENT
    assert stamp(after["answered_at"]) == stamp(before["answered_at"])
    # Talk time counts from the first answer, across the restart.
    assert stamp(after["ended_at"]) > stamp(before["answered_at"])


def test_an_agent_phone_ringing_when_the_engine_is_killed_is_answered_and_bridged(
    tmp_path: Path,
) -> None:
    with emulator_and_engine(tmp_path) as pbx:
        # Rings long enough for the restart, then the agent answers: 30 s, as a kill -9 and a
        # start of `acd run` took more than 12 s on a loaded 2-core machine (an answer while
        # no engine listens is hung up by Asterisk, and the agent rung again).
        pbx.emulator.put("/emulator/endpoints/PJSIP/1001", {"mode": "answer", "ring_s": 30})
        with pbx.engine("engine-1") as (api, first):
            api.post(f"/api/agents/{AGENT}/login", {})
            caller = pbx.call()
            until(lambda: agent(api)["activity"] == "ringing", "the agent's phone rings")
            until(lambda: (row := pbx.row(caller)) and row["offered_at"], "the offer is on disk")
            kill(first)

        with pbx.engine("engine-2") as (api, second):
            (leg,) = until(lambda: pbx.bridged_with(caller), "the caller talks to the agent")
            assert agent(api)["activity"] == "on_call"
            pbx.emulator.post(f"/emulator/channels/{caller}/hangup", {})
            after = until(
                lambda: (row := pbx.row(caller)) and row["ended_at"] and row,
                "the call is recorded as ended",
            )
            assert [c["id"] for c in pbx.agent_legs()] == [leg]  # rung once, never again
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

    assert after["outcome"] == "answered"
    assert after["agent_id"] == AGENT
