"""Recordings' files for the browser: fetched from Asterisk once, kept on local disk, served with
ranges from there.

Asterisk sends a stored recording's file whole and ignores ``Range``
(``GET /recordings/stored/{name}/file``, see emulator/rest_resources.py), while an ``<audio>``
element asks for ranges as it plays and seeks.  So the engine fetches the file once, keeps it
in a directory of its own, and lets aiohttp's ``FileResponse`` answer the ranges (206,
``Content-Range``, 416).  The directory is bounded (``quality.audio_cache_mb``): the least
recently played files go first, never one being sent.  Nothing here survives a restart: the
directory is the process's own and removed at shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]  # name -> (bytes, content type)


@dataclass(slots=True)
class _Entry:
    path: Path
    size: int
    content_type: str
    users: int = 0  # responses sending it now: not evicted meanwhile


class RecordingFiles:
    """A bounded local copy of the recordings' files the browsers play."""

    def __init__(self, fetch: Fetch, directory: Path, max_bytes: int) -> None:
        self._fetch = fetch
        self._directory = directory
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self._fetching: dict[str, asyncio.Future[_Entry]] = {}
        self.fetches = 0  # files fetched from Asterisk (a hit fetches nothing)

    @classmethod
    @asynccontextmanager
    async def in_temporary_directory(
        cls, fetch: Fetch, max_bytes: int
    ) -> AsyncIterator[RecordingFiles]:
        directory = Path(tempfile.mkdtemp(prefix="acd-audio-"))
        try:
            yield cls(fetch, directory, max_bytes)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self._entries.values())

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    async def acquire(self, name: str) -> tuple[Path, str, Callable[[], None]]:
        """The recording's local file, its media type, and the release to call once it is
        sent (it is not evicted before); fetched if not kept.  ARI errors pass through
        (``AriNotFound``: Asterisk has no such file)."""
        entry = self._entries.get(name)
        if entry is None:
            entry = await self._fetched(name)
        self._entries.move_to_end(name)
        entry.users += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                entry.users -= 1
                self._evict()

        return entry.path, entry.content_type, release

    def forget(self, name: str) -> None:
        """Drop a kept file (its recording was deleted)."""
        entry = self._entries.get(name)
        if entry is not None and entry.users == 0:
            del self._entries[name]
            entry.path.unlink(missing_ok=True)

    async def _fetched(self, name: str) -> _Entry:
        # Several requests for one file at once (the browser's first ranges): one fetch.
        pending = self._fetching.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_Entry] = asyncio.get_running_loop().create_future()
        self._fetching[name] = future
        try:
            data, content_type = await self._fetch(name)
            self.fetches += 1
            # Hashed: a recording name never becomes a path of its own.
            path = self._directory / hashlib.sha256(name.encode()).hexdigest()
            await asyncio.to_thread(_write, path, data)
            entry = _Entry(path, len(data), content_type)
            self._entries[name] = entry
            future.set_result(entry)
            return entry
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._fetching[name]

    def _evict(self) -> None:
        total = self.size
        for name in list(self._entries):
            if total <= self.max_bytes:
                return
            entry = self._entries[name]
            if entry.users:
                continue
            del self._entries[name]
            entry.path.unlink(missing_ok=True)
            total -= entry.size


def _write(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
