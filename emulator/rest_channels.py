"""``/ari/channels``: originate, create/dial, hang-up and the per-channel operations."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from emulator.channel_ops import ChannelOps
from emulator.dialing import OriginateRequest
from emulator.errors import bad_request
from emulator.media import RecordOptions
from emulator.params import Params
from emulator.rest import Handler, Route, context, created, match, no_content, ok


def _originate_request(p: Params, channel_id: str | None) -> OriginateRequest:
    return OriginateRequest(
        endpoint=p.get("endpoint"),
        app=p.get("app"),
        app_args=p.get("appArgs"),
        caller_id=p.get("callerId"),
        timeout=p.integer("timeout", 0),
        channel_id=channel_id or p.get("channelId") or None,
        other_channel_id=p.get("otherChannelId") or None,
        originator=p.get("originator"),
        formats=p.get("formats"),
        extension=p.get("extension"),
        context=p.get("context"),
        variables=p.variables(),
    )


async def list_channels(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok([c.to_json() for c in pbx.channels.values()])


async def originate(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    channel_id = request.match_info.get("channel_id")
    return ok(pbx.dialer.originate(_originate_request(p, channel_id)).to_json())


async def create(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    return ok(pbx.dialer.create(_originate_request(p, None)).to_json())


async def get_channel(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    return ok(pbx.channel(match(request, "channel_id")).to_json())


async def hangup(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    channel_id = match(request, "channel_id")
    if p.get("reason_code"):
        if p.get("reason"):
            raise bad_request("The reason and reason_code can't both be specified")
        pbx.lifecycle.app_hangup(pbx.channel(channel_id), p.integer("reason_code"))
    else:
        pbx.channel_ops.hangup(channel_id, p.get("reason"))
    return no_content()


async def answer(request: web.Request) -> web.StreamResponse:
    pbx, _ = await context(request)
    pbx.channel_ops.answer(match(request, "channel_id"))
    return no_content()


async def dial(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    pbx.dialer.dial(match(request, "channel_id"), p.get("caller"), p.integer("timeout", 0))
    return no_content()


def _moh(ops: ChannelOps, channel_id: str, p: Params, on: bool) -> None:
    if on:
        ops.moh(channel_id, p.get("mohClass"))
    else:
        ops.stop_moh(channel_id)


#: Start (POST) / stop (DELETE) operations that only change what the phone hears.
_TOGGLES: dict[str, Callable[[ChannelOps, str, Params, bool], None]] = {
    "ring": lambda ops, channel_id, _p, on: ops.ring(channel_id, on),
    "hold": lambda ops, channel_id, _p, on: ops.hold(channel_id, on),
    "silence": lambda ops, channel_id, _p, on: ops.silence(channel_id, on),
    "moh": _moh,
}


def _toggle(operation: str) -> Handler:
    toggle = _TOGGLES[operation]

    async def handler(request: web.Request) -> web.StreamResponse:
        pbx, p = await context(request)
        toggle(pbx.channel_ops, match(request, "channel_id"), p, request.method == "POST")
        return no_content()

    return handler


async def play(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    playback_id = request.match_info.get("playback_id") or p.get("playbackId")
    body = pbx.media.play_on_channel(
        match(request, "channel_id"), p.many("media"), p.get("lang"), playback_id
    )
    return created(body, f"/playbacks/{body['id']}")


async def record(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    chan = pbx.controlled(match(request, "channel_id"))
    body = pbx.media.record(f"channel:{chan.id}", record_options(p))
    return created(body, f"/recordings/live/{body['name']}")


def record_options(p: Params) -> RecordOptions:
    return RecordOptions(
        name=p.required("name"),
        format=p.required("format"),
        max_duration_s=p.integer("maxDurationSeconds", 0),
        if_exists=p.get("ifExists") or "fail",
        terminate_on=p.get("terminateOn") or "none",
    )


async def get_variable(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    value = pbx.channel_ops.get_variable(match(request, "channel_id"), p.get("variable"))
    return ok({"value": value})


async def set_variable(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    pbx.channel_ops.set_variable(match(request, "channel_id"), p.get("variable"), p.get("value"))
    return no_content()


async def continue_in_dialplan(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    priority = p.integer("priority", 0) or None
    pbx.channel_ops.continue_in_dialplan(
        match(request, "channel_id"), p.get("context"), p.get("extension"), priority
    )
    return no_content()


async def send_dtmf(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    pbx.channel_ops.send_dtmf(match(request, "channel_id"), p.get("dtmf"))
    return no_content()


async def snoop(request: web.Request) -> web.StreamResponse:
    pbx, p = await context(request)
    snoop_id = request.match_info.get("snoop_id") or p.get("snoopId")
    chan = pbx.channel_ops.snoop(
        match(request, "channel_id"),
        snoop_id,
        p.get("spy"),
        p.get("whisper"),
        p.get("app"),
        p.get("appArgs"),
    )
    return ok(chan.to_json())


_ID = "/ari/channels/{channel_id}"

ROUTES: list[Route] = [
    ("GET", "/ari/channels", list_channels),
    ("POST", "/ari/channels", originate),
    ("POST", "/ari/channels/create", create),
    ("GET", _ID, get_channel),
    ("POST", _ID, originate),
    ("DELETE", _ID, hangup),
    ("POST", f"{_ID}/answer", answer),
    ("POST", f"{_ID}/dial", dial),
    ("POST", f"{_ID}/play", play),
    ("POST", f"{_ID}/play/{{playback_id}}", play),
    ("POST", f"{_ID}/record", record),
    ("GET", f"{_ID}/variable", get_variable),
    ("POST", f"{_ID}/variable", set_variable),
    ("POST", f"{_ID}/continue", continue_in_dialplan),
    ("POST", f"{_ID}/dtmf", send_dtmf),
    ("POST", f"{_ID}/snoop", snoop),
    ("POST", f"{_ID}/snoop/{{snoop_id}}", snoop),
    *[
        (method, f"{_ID}/{operation}", _toggle(operation))
        for operation in ("ring", "moh", "hold", "silence")
        for method in ("POST", "DELETE")
    ],
]
