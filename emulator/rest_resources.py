"""``/ari/asterisk``, ``/applications``, ``/endpoints``, ``/sounds``, ``/playbacks``,
``/recordings``: the read-mostly resources, answered from the PBX's state."""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator import subscriptions
from emulator.config import EndpointSpec
from emulator.errors import bad_request, not_found
from emulator.pbx import Pbx
from emulator.recording_files import CHUNK, content_type, path_of, silence, silence_size
from emulator.rest import Route, context, match, no_content, ok

ASTERISK_VERSION = "22.10.1"

#: ``GET /asterisk/modules/{name}``: (description, use count, support level).
_MODULES: dict[str, tuple[str, int, str]] = {
    "res_ari.so": ("Asterisk RESTful Interface", 11, "core"),
    "res_stasis.so": ("Stasis application support", 12, "core"),
    "app_stasis.so": ("Stasis dialplan application", 0, "core"),
    "chan_pjsip.so": ("PJSIP Channel Driver", 0, "core"),
    "chan_bridge_media.so": ("Bridge Media Channel Driver", 0, "core"),
    "res_musiconhold.so": ("Music On Hold Resource", 0, "core"),
    "res_stasis_playback.so": ("Stasis application playback support", 0, "core"),
    "res_stasis_recording.so": ("Stasis application recording support", 0, "core"),
    "res_stasis_snoop.so": ("Stasis application snoop support", 0, "extended"),
}


def _info(pbx: Pbx) -> dict[str, Any]:
    started = pbx.started_at or pbx.timestamp()
    return {
        "build": {
            "os": platform.system(),
            "kernel": platform.release(),
            "machine": platform.machine(),
            "options": "OPTIONAL_API",
            "date": started[:10],
            "user": "acd-emulator",
        },
        "system": {"version": ASTERISK_VERSION, "entity_id": pbx.config.asterisk_id},
        "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
        "status": {"startup_time": started, "last_reload_time": started},
    }


async def info(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    body = _info(pbx)
    only = p.many("only")
    return ok({k: v for k, v in body.items() if k in only} if only else body)


async def ping(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok({"ping": "pong", "timestamp": pbx.timestamp(), "asterisk_id": pbx.config.asterisk_id})


async def get_global(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    name = p.get("variable")
    if not name:
        raise bad_request("Variable name is required")
    return ok({"value": pbx.global_vars.get(name, "")})


async def set_global(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    name = p.get("variable")
    if not name:
        raise bad_request("Variable name is required")
    pbx.global_vars[name] = p.get("value") or ""
    return no_content()


def _module(name: str) -> dict[str, Any]:
    description, use_count, level = _MODULES[name]
    return {
        "name": name,
        "description": description,
        "use_count": use_count,
        "status": "Running",
        "support_level": level,
    }


async def list_modules(request: web.Request) -> web.StreamResponse:
    return ok([_module(name) for name in _MODULES])


async def get_module(request: web.Request) -> web.StreamResponse:
    name = match(request, "module")
    if name not in _MODULES:
        raise not_found("Module could not be found in running modules")
    return ok(_module(name))


async def list_applications(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok([app.to_json() for app in pbx.bus.apps.values()])


async def get_application(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(subscriptions.application(pbx, match(request, "app")).to_json())


async def subscribe(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    app = subscriptions.subscribe(pbx, match(request, "app"), p.many("eventSource"))
    return ok(app.to_json())


async def unsubscribe(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    app = subscriptions.unsubscribe(pbx, match(request, "app"), p.many("eventSource"))
    return ok(app.to_json())


async def event_filter(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    return ok(subscriptions.set_event_filter(pbx, match(request, "app"), p.raw_body).to_json())


def _endpoint(pbx: Pbx, spec: EndpointSpec) -> dict[str, Any]:
    return {
        "technology": spec.technology,
        "resource": spec.resource,
        "state": "online" if spec.online else "offline",
        "channel_ids": [c.id for c in pbx.channels.values() if c.endpoint_key == spec.key],
    }


def _sorted_endpoints(pbx: Pbx, technology: str | None = None) -> list[dict[str, Any]]:
    specs = sorted(pbx.endpoints.values(), key=lambda e: (e.technology, e.resource))
    return [_endpoint(pbx, s) for s in specs if technology in (None, s.technology)]


async def list_endpoints(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(_sorted_endpoints(pbx))


async def list_endpoints_by_tech(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    found = _sorted_endpoints(pbx, match(request, "tech"))
    if not found:
        raise not_found("Endpoints not found")
    return ok(found)


async def get_endpoint(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    spec = pbx.endpoints.get(f"{match(request, 'tech')}/{match(request, 'resource')}")
    if spec is None:
        raise not_found("Endpoint not found")
    return ok(_endpoint(pbx, spec))


async def list_sounds(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    sounds = pbx.config.sounds
    return ok([sounds.sound_json(name) for name in sorted(sounds.durations)])


async def get_sound(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    name = match(request, "sound")
    if not pbx.config.sounds.knows(name):
        raise not_found("Sound not found")
    return ok(pbx.config.sounds.sound_json(name))


async def get_playback(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(pbx.media.get(match(request, "playback_id")).to_json())


async def stop_playback(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    pbx.media.stop(match(request, "playback_id"))
    return no_content()


async def list_stored(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok([r.to_json() for r in pbx.media.stored.values()])


async def get_stored(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(pbx.media.stored_recording(match(request, "name")).to_json())


async def get_stored_file(request: web.Request) -> web.StreamResponse:
    """The stored recording's file, whole, as Asterisk 22 sends it (res/ari/resource_recordings.c
    and main/http.c): 200, ``Content-Type: audio/<format>``, the length, no caching; a
    ``Range`` header is ignored (no 206, no ``Accept-Ranges``).  Unknown: 404 like the rest."""
    pbx, _ = await context(request)
    stored = pbx.media.stored_recording(match(request, "name"))
    headers = {"Cache-Control": "no-cache, no-store"}
    directory = pbx.config.recordings_dir
    path = None if directory is None else path_of(directory, stored.name, stored.format)
    if path is not None and path.exists():
        chunks: Iterable[bytes] = _read(path)
        size = path.stat().st_size
    else:
        chunks = silence(stored.format, stored.duration_s)
        size = silence_size(stored.format, stored.duration_s)
    response = web.StreamResponse(status=200, headers=headers)
    response.content_type = content_type(stored.format)
    response.content_length = size
    await response.prepare(request)
    for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


async def delete_stored(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    pbx.media.delete_stored(match(request, "name"))
    return no_content()


async def get_live(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(pbx.media.live_recording(match(request, "name")).to_json())


async def stop_live(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    pbx.media.stop_recording(match(request, "name"))
    return no_content()


ROUTES: list[Route] = [
    ("GET", "/ari/asterisk/info", info),
    ("GET", "/ari/asterisk/ping", ping),
    ("GET", "/ari/asterisk/variable", get_global),
    ("POST", "/ari/asterisk/variable", set_global),
    ("GET", "/ari/asterisk/modules", list_modules),
    ("GET", "/ari/asterisk/modules/{module}", get_module),
    ("GET", "/ari/applications", list_applications),
    ("GET", "/ari/applications/{app}", get_application),
    ("POST", "/ari/applications/{app}/subscription", subscribe),
    ("DELETE", "/ari/applications/{app}/subscription", unsubscribe),
    ("PUT", "/ari/applications/{app}/eventFilter", event_filter),
    ("GET", "/ari/endpoints", list_endpoints),
    ("GET", "/ari/endpoints/{tech}", list_endpoints_by_tech),
    ("GET", "/ari/endpoints/{tech}/{resource}", get_endpoint),
    ("GET", "/ari/sounds", list_sounds),
    ("GET", "/ari/sounds/{sound}", get_sound),
    ("GET", "/ari/playbacks/{playback_id}", get_playback),
    ("DELETE", "/ari/playbacks/{playback_id}", stop_playback),
    ("GET", "/ari/recordings/stored", list_stored),
    ("GET", "/ari/recordings/stored/{name}", get_stored),
    ("GET", "/ari/recordings/stored/{name}/file", get_stored_file),
    ("DELETE", "/ari/recordings/stored/{name}", delete_stored),
    ("GET", "/ari/recordings/live/{name}", get_live),
    ("POST", "/ari/recordings/live/{name}/stop", stop_live),
]
