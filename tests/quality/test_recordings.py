"""Recordings' metadata and retention: expired files deleted through ARI on a controlled
clock, the deletion logged and kept; a held one stays; a refused delete is tried again."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from acd.engine.commands import RecordingStep
from acd.quality.recordings import RecordingStore
from acd.quality.retention import RecordingRetention
from foundation.clock import Clock, hold_clock
from foundation.errors import AriNotFound, AriServerError

T0 = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)


def _recording(name: str, line: str = "1700", ended_days_ago: float = 0.0) -> RecordingStep:
    ended = T0 - timedelta(days=ended_days_ago)
    return RecordingStep(
        name=name,
        contact_id=name.removeprefix("rec-"),
        agent_id="1002",
        line=line,
        line_code="1700 Andere Vragen",
        format="wav",
        started_at=ended - timedelta(minutes=3),
        ended_at=ended,
    )


class Ari:
    """``DELETE /recordings/stored/{name}`` as Asterisk answers it: refused while ``down``."""

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.down = False
        self.gone: set[str] = set()

    async def delete_stored(self, name: str) -> None:
        if self.down:
            raise AriServerError(503, "unavailable", "DELETE", f"/recordings/stored/{name}")
        if name in self.gone:
            raise AriNotFound(404, "Recording not found", "DELETE", f"/recordings/stored/{name}")
        self.deleted.append(name)


async def test_retention_deletes_expired_recordings_through_ari_and_keeps_held_ones(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    tag = db_url[-6:].replace("/", "")
    names = {k: f"rec-{k}-{tag}-{T0.timestamp():.0f}" for k in ("old", "new", "held", "1701")}
    async with RecordingStore.open(db_url, hold=hold_clock) as store:
        await store.save_many(
            [
                _recording(names["old"], ended_days_ago=31),
                _recording(names["new"], ended_days_ago=29),
                _recording(names["held"], ended_days_ago=31),
                _recording(names["1701"], line="1701", ended_days_ago=31),  # keeps 90 days
            ]
        )
        assert await store.hold(names["held"])
        assert not await store.hold("rec-nobody")
        ari = Ari()
        retention = RecordingRetention(
            store, ari.delete_stored, Clock(), {"1700": 30}, default_days=90
        )
        ari.down = True
        with caplog.at_level(logging.WARNING):
            assert await retention.sweep(T0) == []  # Asterisk away: nothing lost, nothing marked
        assert "next sweep" in caplog.text
        ari.down = False
        with caplog.at_level(logging.INFO):
            deleted = await retention.sweep(T0)
        mine = set(names.values())
        assert [n for n in deleted if n in mine] == [names["old"]]
        assert names["old"] in ari.deleted
        assert f"recording {names['old']} of contact" in caplog.text
        found = await store.get(names["old"])
        assert found is not None
        assert found[2] == T0  # the row stays, with when its file went
        assert (await store.get(names["held"]) or (None, False, None))[1] is True
        # Two days later the 29-day one has expired too; the old one is not deleted twice.
        later = [n for n in await retention.sweep(T0 + timedelta(days=2)) if n in mine]
        assert later == [names["new"]]


async def test_a_file_already_gone_counts_as_deleted(db_url: str) -> None:
    name = f"rec-gone-{db_url[-6:].replace('/', '')}"
    async with RecordingStore.open(db_url, hold=hold_clock) as store:
        await store.save_many([_recording(name, ended_days_ago=400)])
        ari = Ari()
        ari.gone.add(name)
        retention = RecordingRetention(store, ari.delete_stored, Clock(), {}, default_days=90)
        assert name in await retention.sweep(T0)
        assert name not in await retention.sweep(T0)


async def test_a_refused_recording_leaves_no_row(db_url: str) -> None:
    # Asterisk answered the record request with an error: there is no file to list or keep.
    tag = db_url[-6:].replace("/", "")
    kept, refused = f"rec-kept-{tag}", f"rec-refused-{tag}"
    async with RecordingStore.open(db_url, hold=hold_clock) as store:
        await store.save_many([_recording(kept), _recording(refused)])
        await store.save_many([replace(_recording(refused), refused=True)])
        assert await store.get(refused) is None
        found = await store.get(kept)
        assert found is not None
        assert found[0].name == kept
        # A refusal filed in the same batch as the start (the writer keeps the last step).
        await store.save_many([replace(_recording(f"{refused}-2"), refused=True)])
        assert await store.get(f"{refused}-2") is None
