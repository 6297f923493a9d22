"""The local copy of the recordings' files: one fetch per file however many ask at once,
bounded in size (least recently played first), never evicting a file being sent, and an
ARI error passed on without keeping anything."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from acd.recording_files import RecordingFiles
from foundation.errors import AriNotFound


class Asterisk:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.files = {"a": b"A" * 400, "b": b"B" * 400, "c": b"C" * 400}

    async def fetch(self, name: str) -> tuple[bytes, str]:
        self.asked.append(name)
        await asyncio.sleep(0.01)
        if name not in self.files:
            raise AriNotFound(404, "Recording not found", "GET", f"/recordings/stored/{name}/file")
        return self.files[name], "audio/wav"


def _files_in(directory: Path) -> int:
    return len(list(directory.iterdir()))


async def test_one_fetch_for_many_askers_then_served_from_disk(tmp_path: Path) -> None:
    pbx = Asterisk()
    files = RecordingFiles(pbx.fetch, tmp_path, max_bytes=1000)
    got = await asyncio.gather(*(files.acquire("a") for _ in range(5)))
    assert pbx.asked == ["a"]
    path, content_type, _ = got[0]
    assert (path.read_bytes(), content_type) == (b"A" * 400, "audio/wav")
    for _, _, release in got:
        release()
    await files.acquire("a")
    assert pbx.asked == ["a"]


async def test_the_least_recently_played_goes_first_but_never_one_being_sent(
    tmp_path: Path,
) -> None:
    pbx = Asterisk()
    files = RecordingFiles(pbx.fetch, tmp_path, max_bytes=1000)
    a_path, _, release_a = await files.acquire("a")
    _, _, release_b = await files.acquire("b")
    release_b()
    _, _, release_c = await files.acquire("c")  # 1200 bytes: over the bound
    release_c()
    # "a" is being sent: "b", the least recently played of the others, went.
    assert ("a" in files, "b" in files, "c" in files) == (True, False, True)
    assert a_path.exists()
    release_a()
    release_a()  # twice is once
    assert files.size <= 1000
    assert _files_in(tmp_path) == 2


async def test_a_file_asterisk_does_not_have_is_not_kept(tmp_path: Path) -> None:
    pbx = Asterisk()
    files = RecordingFiles(pbx.fetch, tmp_path, max_bytes=1000)
    with pytest.raises(AriNotFound):
        await files.acquire("gone")
    assert "gone" not in files
    with pytest.raises(AriNotFound):
        await files.acquire("gone")
    assert pbx.asked == ["gone", "gone"]
