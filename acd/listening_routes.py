"""Listening sessions over HTTP: a recording's audio for the browser, and its quality scores.

    GET  /api/recordings/{name}/audio    the file, with ranges (206, Content-Range, 416)
    POST /api/recordings/{name}/score    this user's score on each criterion, and a comment

Who may: as for the recording itself (:mod:`acd.recording_routes`): admins and tokens, a
supervisor of the recording's line, a ``reporting`` user of the service owning it; another
service's is 403 ``not_your_line``.  An unknown recording is 404 ``recording_not_found``; one
whose file retention deleted is 404 ``recording_deleted`` saying when.

Every listen is audited (``recording.listen``, who, which recording, when) once per listening,
not per range: a request that starts the file (no ``Range``, or a range from byte 0) is a
listen, unless the same user's listen to the same recording was audited within
:data:`LISTEN_WINDOW_S` (a browser asks for ``bytes=0-`` again when it replays or re-buffers).
The entry is written before a byte is sent: no audit, no audio.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from acd.api_models.recordings import ScoreBody
from acd.auth.keys import PRINCIPAL, TARGET_LINES
from acd.auth.store import AuditEntry
from acd.engine.commands import RecordingStep
from acd.quality.scores import RecordingScore, ScoreStore, score_problems
from acd.recording_files import RecordingFiles
from acd.recording_routes import SCORES, visible_recording
from acd.settings.quality_options import QualitySettings
from foundation.errors import ApiError, AriError, AriNotFound
from foundation.json_body import parse_body

AUDIO = web.AppKey("recording_audio", RecordingFiles)
QUALITY = web.AppKey("quality_settings", QualitySettings)
NOW = web.AppKey[Callable[[], datetime]]("listening_now")

# One listening: replays and re-buffering within this time are the same listen.
LISTEN_WINDOW_S = 600.0
_FROM_START = re.compile(r"^\s*bytes\s*=\s*0*0\s*-")
_NOT_CACHED = "private, no-cache"


class ListenAudit:
    """Writes ``recording.listen`` to the audit log once per user, recording and listening."""

    def __init__(
        self, write: Callable[[AuditEntry], Awaitable[None]], now: Callable[[], datetime]
    ) -> None:
        self._write = write
        self._now = now
        self._last: dict[tuple[str, str], datetime] = {}  # (actor, recording) -> audited at

    async def note(self, request: web.Request, step: RecordingStep) -> bool:
        """Audit this request if it starts a listening; True if it was written."""
        who = request.get(PRINCIPAL)
        asked = request.headers.get("Range")
        starts = asked is None or _FROM_START.match(asked) is not None
        if who is None or request.method != "GET" or not starts:  # a HEAD hears nothing
            return False
        now = self._now()
        key = (who.name, step.name)
        last = self._last.get(key)
        if last is not None and (now - last).total_seconds() < LISTEN_WINDOW_S:
            return False
        await self._write(
            AuditEntry(
                now,
                who.name,
                who.role.value if who.role else None,
                "recording.listen",
                f"recording {step.name}",
                200,
                request.remote,
                (step.line,),
            )
        )
        self._last[key] = now
        if len(self._last) > 10_000:  # forget listens older than the window
            self._last = {
                k: at
                for k, at in self._last.items()
                if (now - at).total_seconds() < LISTEN_WINDOW_S
            }
        return True


LISTENS = web.AppKey("recording_listens", ListenAudit)


async def audio(request: web.Request) -> web.StreamResponse:
    step, _, deleted_at = await visible_recording(request)
    if deleted_at is not None:
        raise ApiError(
            404,
            "recording_deleted",
            f"recording {step.name!r} was deleted on {deleted_at.date().isoformat()} "
            "after its line's retention",
            {"name": step.name, "deleted_at": deleted_at.isoformat()},
        )
    if step.ended_at is None:
        raise ApiError(409, "recording_in_progress", f"recording {step.name!r} has not ended yet")
    try:
        path, content_type, release = await request.app[AUDIO].acquire(step.name)
    except AriNotFound:
        raise ApiError(
            404,
            "recording_file_missing",
            f"Asterisk has no file for recording {step.name!r}",
            {"name": step.name},
        ) from None
    except AriError as exc:
        raise ApiError(
            503, "pbx_unavailable", f"the recording's file could not be fetched: {exc.message}"
        ) from None
    listens = request.app.get(LISTENS)
    if listens is not None:  # once the file is at hand: a failed fetch is no listen
        try:
            await listens.note(request, step)
        except BaseException:
            release()
            raise
    return _SentFile(
        path, release, headers={"Content-Type": content_type, "Cache-Control": _NOT_CACHED}
    )


class _SentFile(web.FileResponse):
    """aiohttp's file response (it answers ``Range``: 206, ``Content-Range``, 416) that lets
    the local copy go once sent, so it is never evicted while being sent."""

    def __init__(self, path: Path, release: Callable[[], None], **options: Any) -> None:
        super().__init__(path, **options)
        self._release = release

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        try:
            return await super().prepare(request)
        finally:
            self._release()


async def score(request: web.Request) -> web.Response:
    step, _, _ = await visible_recording(request)
    request[TARGET_LINES] = frozenset({step.line})  # the audit entry names the line
    body = await parse_body(request, ScoreBody)
    quality = request.app[QUALITY]
    criteria = [c.id for c in quality.criteria]
    problems = score_problems(body.scores, criteria, quality.scale_max)
    if problems:
        criterion, reason = problems[0]
        raise ApiError(
            422,
            "invalid_score",
            f"scores.{criterion}: {reason}",
            {"problems": [{"key": f"scores.{c}", "reason": r} for c, r in problems]},
        )
    who = request.get(PRINCIPAL)
    store = request.app[SCORES]
    await store.save(
        RecordingScore(
            step.name,
            who.name if who is not None else "anonymous",
            request.app[NOW](),
            step.agent_id,
            step.line,
            step.line_code,
            dict(body.scores),
            body.comment or None,
        )
    )
    given = await store.of_recording(step.name)
    return web.json_response({"name": step.name, "scores": [s.view() for s in given]})


def add_listening_routes(
    app: web.Application,
    files: RecordingFiles,
    scores: ScoreStore,
    quality: QualitySettings,
    now: Callable[[], datetime],
    audit: ListenAudit | None,
) -> None:
    app[AUDIO] = files
    app[SCORES] = scores
    app[QUALITY] = quality
    app[NOW] = now
    if audit is not None:
        app[LISTENS] = audit
    app.router.add_get("/api/recordings/{name}/audio", audio)
    app.router.add_post("/api/recordings/{name}/score", score)
