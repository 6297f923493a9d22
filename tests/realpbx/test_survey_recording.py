"""Issue 15 on a real Asterisk: the survey after the call keyed by DTMF (SIP INFO from a sipp
caller), and the call's recording in Asterisk's spool, ended with the bridge and deleted by the
retention sweep through ``DELETE /recordings/stored/{name}``.

Line 1704 (tests/realpbx/config/lines.yaml) surveys and records every call; its questions are
stock sounds, its intro and thanks the defaults that a stock Asterisk lacks, so every survey
here also runs through Asterisk failing a missing sound."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from acd.ari.client import AriClient
from acd.quality.recordings import RecordingStore
from acd.quality.retention import RecordingRetention
from foundation.clock import Clock
from tests.realpbx.harness import Pbx, Phones, ended_records, wait_for

pytestmark = pytest.mark.realpbx

AGENT = "agent4"  # the only agent of line code "surveyed"


def select(pbx: Pbx, sql: str, *args: object) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"file:{pbx.engine.database}?mode=ro", uri=True, timeout=5)
    try:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, args).fetchall()]
    finally:
        db.close()


def answers(pbx: Pbx, contact: str) -> list[tuple[str, int]]:
    rows = select(
        pbx,
        "SELECT question, score FROM survey_answers WHERE contact_id = ? ORDER BY position",
        contact,
    )
    return [(r["question"], r["score"]) for r in rows]


def test_to_survey_stores_every_answer_keyed_and_the_recording_lands_in_the_spool(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    log_from = pbx.asterisk.log.stat().st_size
    phones.agent(AGENT, "uas_answer", delay_ms=500)
    pbx.engine.login(AGENT)
    # Bridged about 1.5 s after the answer; the digits come from 6 s on: 7, then 10 as 1 and
    # 0, then 10 as *, then 3; the caller waits for the PBX to hang up after the thanks.
    caller = phones.caller("1704", [6000, "7", 800, "1", 300, "0", 800, "*", 800, "3"], False)
    wait_for(lambda: pbx.bridged_with_caller(AGENT), 10, "caller and agent in one bridge")
    status, body = pbx.engine.api("POST", f"/api/agents/{AGENT}/survey")
    assert (status, body) == (200, {"agent_id": AGENT, "survey": "started"})
    wait_for(lambda: not pbx.bridged_with_caller(AGENT), 5, "the caller left the agent")
    assert caller.wait(25) == 0  # hung up by the PBX once the survey was over
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", AGENT)
    assert answers(pbx, record["id"]) == [
        ("waiting_time", 7),
        ("politeness", 10),
        ("information", 10),
        ("recommend", 3),
    ]
    # What Asterisk made of the missing intro and thanks: a failed item, then on.
    with pbx.asterisk.log.open("rb") as log:
        log.seek(log_from)
        said = log.read().decode(errors="replace")
    assert "Playback failed for sound:acd-survey-intro" in said
    assert "Playback failed for sound:acd-survey-thanks" in said

    (row,) = wait_for(
        lambda: [
            r
            for r in select(pbx, "SELECT * FROM call_recordings WHERE contact_id = ?", record["id"])
            if r["ended_at"]
        ],
        10,
        "the recording's row with its end",
    )
    assert row["name"] == f"rec-{record['id']}"
    assert row["started_at"] < row["ended_at"] <= record["survey_started_at"]
    file = pbx.asterisk.recordings / f"{row['name']}.wav"
    assert file.exists()
    assert file.stat().st_size > 44  # more than a WAV header: the conversation is in it
    assert pbx.asterisk.ari("GET", f"/recordings/stored/{row['name']}")[0] == 200

    # Ninety-one days on, the retention sweep deletes it through ARI.
    ended = datetime.fromisoformat(row["ended_at"]).replace(tzinfo=UTC)
    deleted = asyncio.run(sweep(pbx, ended + timedelta(days=91)))
    assert row["name"] in deleted
    assert not file.exists()
    assert pbx.asterisk.ari("GET", f"/recordings/stored/{row['name']}")[0] == 404
    (after,) = select(pbx, "SELECT * FROM call_recordings WHERE name = ?", row["name"])
    assert after["deleted_at"] is not None


def test_the_agent_hanging_up_sends_the_caller_on_and_two_answers_stay(
    pbx: Pbx, phones: Phones
) -> None:
    before = pbx.known_records()
    # The agent answers after 1 s and hangs up 1 s later: the line sends every caller on.
    phones.agent(AGENT, "uas_answer_bye", delay_ms=1000)
    pbx.engine.login(AGENT)
    caller = phones.caller("1704", [7000, "5", 800, "8", 1500])  # then hangs up
    assert caller.wait(20) == 0
    (record,) = ended_records(pbx.engine, before)
    assert (record["outcome"], record["agent_id"]) == ("answered", AGENT)
    assert record["survey_started_at"] is not None
    assert answers(pbx, record["id"]) == [("waiting_time", 5), ("politeness", 8)]


async def sweep(pbx: Pbx, now: datetime) -> list[str]:
    """One retention sweep at ``now`` over the engine's store, deleting through the real ARI."""
    url = f"sqlite+aiosqlite:///{pbx.engine.database}"
    async with (
        RecordingStore.open(url) as store,
        AriClient(pbx.asterisk.ari_url, "asterisk", "asterisk", "acd") as ari,
    ):
        retention = RecordingRetention(store, ari.delete_stored_recording, Clock(), {"1704": 90})
        return await retention.sweep(now)


def test_a_recording_asterisk_refuses_leaves_no_row_and_the_call_goes_on(
    pbx: Pbx, phones: Phones
) -> None:
    # Without its spool's recording folder Asterisk 22 answers the record request 500
    # ("Unrecognized recording error: No such file or directory" in its log).
    folder = pbx.asterisk.recordings
    aside = folder.with_name("recording-aside")
    folder.rename(aside)
    try:
        before = pbx.known_records()
        log_from = pbx.asterisk.log.stat().st_size
        phones.agent(AGENT, "uas_answer_bye", delay_ms=1000)
        pbx.engine.login(AGENT)
        caller = phones.caller("1704", [6000])  # in the survey by then; hangs up
        assert caller.wait(20) == 0
        (record,) = ended_records(pbx.engine, before)
    finally:
        aside.rename(folder)
    assert (record["outcome"], record["agent_id"]) == ("answered", AGENT)
    assert record["survey_started_at"] is not None  # the call went on to its survey
    with pbx.asterisk.log.open("rb") as log:
        log.seek(log_from)
        assert "Unrecognized recording error" in log.read().decode(errors="replace")
    rows = select(pbx, "SELECT * FROM call_recordings WHERE contact_id = ?", record["id"])
    assert rows == []
