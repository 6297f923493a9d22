"""``/ari/bridges``: create, destroy, membership, music on hold, playback and recording."""

from __future__ import annotations

from aiohttp import web

from emulator.rest import Route, context, created, match, no_content, ok
from emulator.rest_channels import record_options


async def list_bridges(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok([b.to_json() for b in pbx.bridges.values()])


async def create_bridge(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    bridge = pbx.bridging.create(p.get("bridgeId"), p.get("type"), p.get("name"))
    return ok(bridge.to_json())


async def create_or_update_bridge(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    bridge_id = match(request, "bridge_id")
    bridge = pbx.bridging.create_or_update(bridge_id, p.get("type"), p.get("name"))
    return ok(bridge.to_json())


async def get_bridge(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(pbx.bridge(match(request, "bridge_id")).to_json())


async def destroy_bridge(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    pbx.bridging.destroy(match(request, "bridge_id"))
    return no_content()


async def add_channel(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    pbx.bridge(match(request, "bridge_id"))  # an unknown bridge is refused before any wait
    await pbx.media.after_playbacks(p.many("channel"))  # said_add_channel.jsonl
    pbx.bridging.add_channels(match(request, "bridge_id"), p.many("channel"))
    return no_content()


async def remove_channel(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    pbx.bridging.remove_channels(match(request, "bridge_id"), p.many("channel"))
    return no_content()


async def start_moh(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    pbx.bridging.start_moh(match(request, "bridge_id"), p.get("mohClass"))
    return no_content()


async def stop_moh(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    pbx.bridging.stop_moh(match(request, "bridge_id"))
    return no_content()


async def play(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    playback_id = request.match_info.get("playback_id") or p.get("playbackId")
    body = pbx.media.play_on_bridge(
        match(request, "bridge_id"), p.many("media"), p.get("lang"), playback_id
    )
    return created(body, f"/playbacks/{body['id']}")


async def record(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    bridge = pbx.bridge(match(request, "bridge_id"))
    body = pbx.media.record(f"bridge:{bridge.id}", record_options(p))
    return created(body, f"/recordings/live/{body['name']}")


_ID = "/ari/bridges/{bridge_id}"

ROUTES: list[Route] = [
    ("GET", "/ari/bridges", list_bridges),
    ("POST", "/ari/bridges", create_bridge),
    ("GET", _ID, get_bridge),
    ("POST", _ID, create_or_update_bridge),
    ("DELETE", _ID, destroy_bridge),
    ("POST", f"{_ID}/addChannel", add_channel),
    ("POST", f"{_ID}/removeChannel", remove_channel),
    ("POST", f"{_ID}/moh", start_moh),
    ("DELETE", f"{_ID}/moh", stop_moh),
    ("POST", f"{_ID}/play", play),
    ("POST", f"{_ID}/play/{{playback_id}}", play),
    ("POST", f"{_ID}/record", record),
]
