"""Issue 15: a restart never sends a caller answering the survey back to the queue, and never
loses a recording's end.  The engine is killed (SIGKILL) in the middle of the survey, or of a
recorded conversation, and started again on the same database.

Real processes on the wall clock, as in ``tests/system/test_restart.py`` (whose set-up this
reuses, with ``config_survey``: line 1700 surveys and records every call).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from acd.quality.recordings import RecordingStore
from tests.system.processes import DEADLINE_S, until
from tests.system.test_restart import AGENT, Setup, agent, emulator_and_engine, kill

SURVEY = Path(__file__).parent / "config_survey"


def query(pbx: Setup, sql: str, *args: Any) -> list[dict[str, Any]]:
    with sqlite3.connect(pbx.db) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql, args)]


def answers(pbx: Setup, contact: str) -> list[tuple[str, int]]:
    rows = query(
        pbx,
        "SELECT question, score FROM survey_answers WHERE contact_id = ? ORDER BY position",
        contact,
    )
    return [(r["question"], r["score"]) for r in rows]


def recording(pbx: Setup, contact: str) -> dict[str, Any] | None:
    rows = query(pbx, "SELECT * FROM call_recordings WHERE contact_id = ?", contact)
    return rows[0] if rows else None


def played(pbx: Setup, channel: str) -> list[str]:
    media: list[str] = []
    for request in pbx.emulator.get("/emulator/requests"):
        path = str(request["path"])  # .../play or .../play/{playback id}
        if request["method"] == "POST" and path.startswith(f"/ari/channels/{channel}/play"):
            media += str(request["query"].get("media", "")).split(",")
    return media


def requests_to(pbx: Setup, method: str, suffix: str) -> list[dict[str, Any]]:
    return [
        r
        for r in pbx.emulator.get("/emulator/requests")
        if r["method"] == method and r["path"].endswith(suffix)
    ]


def key(pbx: Setup, channel: str, digit: str) -> None:
    pbx.emulator.post(f"/emulator/channels/{channel}/dtmf", {"digits": digit})


def talking(pbx: Setup, api: Any) -> tuple[str, str]:
    """A caller talking to the agent; returns the caller's channel and the agent's leg."""
    pbx.emulator.put("/emulator/endpoints/PJSIP/1001", {"mode": "answer", "ring_s": 0.2})
    api.post(f"/api/agents/{AGENT}/login", {})
    caller = pbx.call()
    (leg,) = until(lambda: pbx.bridged_with(caller), "the caller talks to the agent")
    return caller, leg


def test_a_caller_answering_the_survey_when_the_engine_is_killed_goes_on_at_the_next_question(
    tmp_path: Path,
) -> None:
    with emulator_and_engine(tmp_path, SURVEY) as pbx:
        with pbx.engine("engine-1") as (api, first):
            caller, _ = talking(pbx, api)
            api.post(f"/api/agents/{AGENT}/survey", {})
            until(lambda: not pbx.bridged_with(caller), "the caller left the agent's bridge")
            contact = until(lambda: (row := pbx.row(caller)) and row["id"], "the contact row")
            key(pbx, caller, "7")
            until(lambda: len(answers(pbx, contact)) == 1, "the first answer on disk")
            key(pbx, caller, "5")
            until(lambda: len(answers(pbx, contact)) == 2, "the second answer on disk")
            until(
                lambda: (row := pbx.row(caller)) and row["survey_question"] == 2,
                "the question reached is on disk",
            )
            kill(first)

        asked_before = len(played(pbx, caller))
        with pbx.engine("engine-2") as (api, second):
            until(
                lambda: played(pbx, caller)[asked_before:] == ["sound:acd-survey-information"],
                "the third question is asked, nothing before it",
            )
            assert pbx.bridged_with(caller) == []  # not queued, not offered to an agent
            assert len(pbx.agent_legs()) == 1  # the agent was rung once, before the restart
            assert agent(api)["activity"] == "idle"
            key(pbx, caller, "9")
            until(lambda: len(answers(pbx, contact)) == 3, "the third answer on disk")
            key(pbx, caller, "*")
            until(
                lambda: caller not in {c["id"] for c in pbx.emulator.get("/emulator/channels")},
                "the caller is hung up after the thanks",
            )
            after = until(lambda: (row := pbx.row(caller)) and row["ended_at"] and row, "ended")
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

        assert answers(pbx, contact) == [
            ("waiting_time", 7),
            ("politeness", 5),
            ("information", 9),
            ("recommend", 10),
        ]
        assert played(pbx, caller)[-1] == "sound:acd-survey-thanks"
        assert (after["outcome"], after["agent_id"]) == ("answered", AGENT)
        rec = recording(pbx, contact)  # recorded until the caller left for the survey
        assert rec is not None
        assert rec["ended_at"] is not None
        assert datetime.fromisoformat(rec["ended_at"]) <= datetime.fromisoformat(
            after["survey_started_at"]
        ) + timedelta(seconds=1)


def test_a_recorded_call_taken_up_after_a_kill_gets_its_end_and_retention_deletes_it_later(
    tmp_path: Path,
) -> None:
    with emulator_and_engine(tmp_path, SURVEY) as pbx:
        with pbx.engine("engine-1") as (api, first):
            caller, leg = talking(pbx, api)
            contact = until(lambda: (row := pbx.row(caller)) and row["id"], "the contact row")
            until(
                lambda: (row := pbx.row(caller)) and row["recording_started_at"],
                "the recording's start is on disk",
            )
            until(lambda: recording(pbx, contact), "the recording's row")
            kill(first)

        with pbx.engine("engine-2") as (api, second):
            assert until(lambda: agent(api)["activity"] == "on_call", "the call is taken up")
            assert pbx.bridged_with(caller) == [leg]
            pbx.emulator.post(f"/emulator/channels/{caller}/hangup", {})
            rec = until(
                lambda: (row := recording(pbx, contact)) and row["ended_at"] and row,
                "the recording ends with the call",
            )
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=DEADLINE_S)

        assert len(requests_to(pbx, "POST", "/record")) == 1  # never started twice
        ended = datetime.fromisoformat(rec["ended_at"]).replace(tzinfo=UTC)
        assert ended > datetime.fromisoformat(rec["started_at"]).replace(tzinfo=UTC)
        assert rec["deleted_at"] is None
        # What the retention sweep finds: nothing today, this one after its line's days.
        assert asyncio.run(expired(pbx, ended + timedelta(days=89))) == []
        assert asyncio.run(expired(pbx, ended + timedelta(days=91))) == [rec["name"]]


async def expired(pbx: Setup, now: datetime) -> list[str]:
    """The recordings the retention sweep would delete at ``now`` (the default 90 days)."""
    async with RecordingStore.open(f"sqlite+aiosqlite:///{pbx.db}") as store:
        return [step.name for step in await store.expired(now, {"1700": 90}, 90)]
