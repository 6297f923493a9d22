"""The engine's ARI REST client: one small typed method per ARI operation the engine uses.

The methods only build paths and parameters and parse answers into typed resources; sending,
timeouts and the translation of every failure into :mod:`foundation.errors` happen in
:mod:`acd.ari.rest`.  Parameter names follow Python (``timeout_s``, ``app_args``); the ARI names
they map to are the ones in the recorded traces (``timeout``, ``appArgs``).

What callers should expect (see shared/asterisk/README.md):
:class:`~foundation.errors.AriNotFound` on a channel is a normal race (it hung up between the
event and the request); :class:`~foundation.errors.AriAllocationFailed` from
:meth:`AriClient.originate` means the endpoint cannot be dialled at all; events caused by a
request often arrive before its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar

import aiohttp

from acd.ari.client_params import Media, join_args, media_param, parsed, variables_body
from acd.ari.events import Bridge, Channel, Playback
from acd.ari.http11 import Http11Transport
from acd.ari.models import Endpoint, LiveRecording, StoredRecording
from acd.ari.rest import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT_S, Params, RestTransport, ari_path
from foundation.errors import AriServerError

T = TypeVar("T")


class RestPort(Protocol):
    """A way to send ARI requests: HTTP (:class:`~acd.ari.rest.RestTransport`) or the events
    WebSocket (:class:`~acd.ari.ws_rest.WsRestTransport`); both raise the same errors."""

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any: ...

    async def close(self) -> None: ...


class AriClient:
    """ARI over HTTP for one Stasis application.

    ``base_url`` is Asterisk's HTTP server (``http://127.0.0.1:8088``); paths go under ``/ari``.
    ``app`` is the default Stasis application for originated, created and snooped channels.
    ``rest`` replaces HTTP as the way requests travel (the events WebSocket, ``ari.rest_over``).
    Over HTTP, ``http_client`` picks the lean keep-alive client (:mod:`acd.ari.http11`, the
    default) or aiohttp's; a ``session`` passed in means aiohttp's.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_gets: bool = True,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        rest: RestPort | None = None,
        http_client: Literal["lean", "aiohttp"] = "lean",
    ) -> None:
        self.app = app
        if rest is None and http_client == "lean" and session is None:
            rest = Http11Transport(
                base_url,
                username,
                password,
                timeout_s=request_timeout_s,
                retry_gets=retry_gets,
                max_connections=max_connections,
            )
        http = RestTransport(
            base_url,
            username,
            password,
            session=session,
            timeout_s=request_timeout_s,
            retry_gets=retry_gets,
            max_connections=max_connections,
        )
        self._rest: RestPort = rest or http
        # Files always travel over HTTP: a REST-over-WebSocket answer is a text frame.  Made
        # lazily, so an unused one opens no connection.
        self._files = http

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        await self._rest.close()
        if self._files is not self._rest:
            await self._files.close()

    # -- plumbing -----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any:
        return await self._rest.request(method, path, params, json_body=json_body)

    async def _one(
        self,
        parse: Callable[[Mapping[str, Any]], T],
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> T:
        body = await self._call(method, path, params, json_body=json_body)
        return parsed(parse, body, method, path)

    async def _many(self, parse: Callable[[Mapping[str, Any]], T], path: str) -> list[T]:
        body = await self._call("GET", path)
        if not isinstance(body, list):
            raise AriServerError(200, f"expected a list, got {type(body).__name__}", "GET", path)
        return [parsed(parse, item, "GET", path) for item in body]

    async def _dict(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = await self._call(method, path, params, json_body=json_body)
        if not isinstance(body, dict):
            raise AriServerError(
                200, f"expected an object, got {type(body).__name__}", method, path
            )
        return body

    # -- Asterisk -----------------------------------------------------------------------------

    async def ping(self) -> dict[str, Any]:
        return await self._dict("GET", ari_path("asterisk", "ping"))

    async def info(self) -> dict[str, Any]:
        return await self._dict("GET", ari_path("asterisk", "info"))

    # -- applications -------------------------------------------------------------------------

    async def get_application(self, app: str) -> dict[str, Any]:
        """``{"name", "channel_ids", "bridge_ids", "endpoint_ids", ...}``: what the app owns.

        The starting point of a resynchronisation: ARI replays nothing after a reconnect."""
        return await self._dict("GET", ari_path("applications", app))

    async def subscribe(self, app: str, event_source: str | Sequence[str]) -> dict[str, Any]:
        """Subscribe ``app`` to ``channel:<id>``, ``bridge:<id>``, ``endpoint:<tech>/<res>``...

        Subscribing to an endpoint whose channels the app already sees delivers every event of
        those channels twice (subscriptions.jsonl): handlers must be idempotent."""
        path = ari_path("applications", app, "subscription")
        return await self._dict("POST", path, {"eventSource": event_source})

    async def unsubscribe(self, app: str, event_source: str | Sequence[str]) -> dict[str, Any]:
        path = ari_path("applications", app, "subscription")
        return await self._dict("DELETE", path, {"eventSource": event_source})

    async def set_event_filter(
        self,
        app: str,
        *,
        allowed: Sequence[str] | None = None,
        disallowed: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Narrow the events ARI sends ``app`` to event type names (event_filter.jsonl).

        A list given replaces that list, an empty one clears it; a list left as None is left
        as it is in Asterisk; with neither, both are cleared (everything is sent again).  When
        both are set, a type must be allowed (or ``allowed`` empty) and not disallowed.  Type
        names are not checked: Asterisk accepts unknown ones.  Returns the application, with
        its ``events_allowed`` and ``events_disallowed``; an Asterisk older than 13.26/16.3
        has no such resource (:class:`~foundation.errors.AriNotFound` or another refusal).
        """
        body: dict[str, Any] = {}
        for key, types in (("allowed", allowed), ("disallowed", disallowed)):
            if types is not None:
                if isinstance(types, str):
                    raise TypeError(f"{key} is a list of event types, not one string")
                body[key] = [{"type": kind} for kind in types]
        path = ari_path("applications", app, "eventFilter")
        return await self._dict("PUT", path, json_body=body or None)

    # -- endpoints ----------------------------------------------------------------------------

    async def list_endpoints(self) -> list[Endpoint]:
        return await self._many(Endpoint.parse, ari_path("endpoints"))

    async def get_endpoint(self, technology: str, resource: str) -> Endpoint:
        return await self._one(Endpoint.parse, "GET", ari_path("endpoints", technology, resource))

    # -- channels -----------------------------------------------------------------------------

    async def list_channels(self) -> list[Channel]:
        return await self._many(Channel.parse, ari_path("channels"))

    async def get_channel(self, channel_id: str) -> Channel:
        return await self._one(Channel.parse, "GET", ari_path("channels", channel_id))

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str | None = None,
        app: str | None = None,
        app_args: Sequence[str] = (),
        caller_id: str | None = None,
        timeout_s: int | None = None,
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """Dial ``endpoint`` into Stasis; the answer is the new channel in state ``Down``.

        ``StasisStart`` only arrives when the far end answers; a failure arrives as
        ``ChannelDestroyed`` (cause 17 busy, 19 no answer at ``timeout_s``, ...).  Without
        ``timeout_s`` Asterisk rings for its default of 30 s."""
        path = ari_path("channels", channel_id) if channel_id else ari_path("channels")
        params: Params = {
            "endpoint": endpoint,
            "app": app or self.app,
            "appArgs": join_args(app_args),
            "callerId": caller_id,
            "timeout": timeout_s,
            "originator": originator,
        }
        return await self._one(
            Channel.parse, "POST", path, params, json_body=variables_body(variables)
        )

    async def create_channel(
        self,
        endpoint: str,
        *,
        channel_id: str | None = None,
        app: str | None = None,
        app_args: Sequence[str] = (),
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """First half of a two-step originate; :meth:`dial` places the call.  ``StasisStart``
        (state ``Down``) arrives on ``dial``, before the far end rings."""
        params: Params = {
            "endpoint": endpoint,
            "app": app or self.app,
            "appArgs": join_args(app_args),
            "channelId": channel_id,
            "originator": originator,
        }
        path = ari_path("channels", "create")
        return await self._one(
            Channel.parse, "POST", path, params, json_body=variables_body(variables)
        )

    async def dial(
        self, channel_id: str, caller: str | None = None, timeout_s: int | None = None
    ) -> None:
        params: Params = {"caller": caller, "timeout": timeout_s}
        await self._call("POST", ari_path("channels", channel_id, "dial"), params)

    async def answer(self, channel_id: str) -> None:
        await self._call("POST", ari_path("channels", channel_id, "answer"))

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        """``reason`` is ARI's (``normal``, ``busy``, ``congestion``, ...); ``busy`` ends the
        channel with cause 17 / SIP 486."""
        await self._call("DELETE", ari_path("channels", channel_id), {"reason": reason})

    async def ring(self, channel_id: str) -> None:
        await self._call("POST", ari_path("channels", channel_id, "ring"))

    async def ring_stop(self, channel_id: str) -> None:
        await self._call("DELETE", ari_path("channels", channel_id, "ring"))

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        """Channel MOH and hold produce no events; the engine must remember it started them."""
        path = ari_path("channels", channel_id, "moh")
        await self._call("POST", path, {"mohClass": moh_class})

    async def stop_moh(self, channel_id: str) -> None:
        await self._call("DELETE", ari_path("channels", channel_id, "moh"))

    async def hold(self, channel_id: str) -> None:
        await self._call("POST", ari_path("channels", channel_id, "hold"))

    async def unhold(self, channel_id: str) -> None:
        await self._call("DELETE", ari_path("channels", channel_id, "hold"))

    async def play(
        self,
        channel_id: str,
        media: Media,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        """Play one media URI or several in sequence (``sound:...``); answers state ``queued``.

        DTMF does not stop a playback: :meth:`stop_playback` on the first digit is ours to do."""
        segments = ("channels", channel_id, "play") + ((playback_id,) if playback_id else ())
        params: Params = {"media": media_param(media), "lang": lang}
        return await self._one(Playback.parse, "POST", ari_path(*segments), params)

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        path = ari_path("channels", channel_id, "variable")
        await self._call("POST", path, {"variable": variable, "value": value})

    async def get_variable(self, channel_id: str, variable: str) -> str:
        path = ari_path("channels", channel_id, "variable")
        body = await self._dict("GET", path, {"variable": variable})
        return str(body.get("value", ""))

    async def continue_in_dialplan(
        self,
        channel_id: str,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        """Leave Stasis: a ``StasisEnd`` follows at once and nothing more about the channel."""
        params: Params = {
            "context": context,
            "extension": extension,
            "priority": priority,
            "label": label,
        }
        await self._call("POST", ari_path("channels", channel_id, "continue"), params)

    async def snoop(
        self,
        channel_id: str,
        *,
        snoop_id: str | None = None,
        spy: str = "both",
        whisper: str = "none",
        app: str | None = None,
        app_args: Sequence[str] = (),
    ) -> Channel:
        """A ``Snoop/<id>-N`` channel (state ``Up``) on ``channel_id``; its ``StasisStart``
        follows at once.  ``spy``/``whisper``: ``none``, ``in``, ``out`` or ``both``."""
        segments = ("channels", channel_id, "snoop") + ((snoop_id,) if snoop_id else ())
        params: Params = {
            "spy": spy,
            "whisper": whisper,
            "app": app or self.app,
            "appArgs": join_args(app_args),
        }
        return await self._one(Channel.parse, "POST", ari_path(*segments), params)

    # -- playbacks ----------------------------------------------------------------------------

    async def get_playback(self, playback_id: str) -> Playback:
        return await self._one(Playback.parse, "GET", ari_path("playbacks", playback_id))

    async def stop_playback(self, playback_id: str) -> None:
        """AriNotFound when the playback already finished (or failed at once: a holding bridge
        with MOH takes no bridge playback)."""
        await self._call("DELETE", ari_path("playbacks", playback_id))

    # -- bridges ------------------------------------------------------------------------------

    async def create_bridge(
        self, bridge_id: str | None, bridge_type: str = "mixing", name: str | None = None
    ) -> Bridge:
        """``bridge_type``: ``mixing`` (caller + agent) or ``holding`` (a queue).  No
        ``BridgeCreated`` event follows for bridges the app creates."""
        path = ari_path("bridges", bridge_id) if bridge_id else ari_path("bridges")
        return await self._one(Bridge.parse, "POST", path, {"type": bridge_type, "name": name})

    async def get_bridge(self, bridge_id: str) -> Bridge:
        return await self._one(Bridge.parse, "GET", ari_path("bridges", bridge_id))

    async def list_bridges(self) -> list[Bridge]:
        return await self._many(Bridge.parse, ari_path("bridges"))

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._call("DELETE", ari_path("bridges", bridge_id))

    async def add_channel(
        self, bridge_id: str, channel_ids: str | Sequence[str], role: str | None = None
    ) -> None:
        path = ari_path("bridges", bridge_id, "addChannel")
        await self._call("POST", path, {"channel": channel_ids, "role": role})

    async def remove_channel(self, bridge_id: str, channel_ids: str | Sequence[str]) -> None:
        """Answers 204 at once; its ``ChannelLeftBridge`` may come after the answer."""
        path = ari_path("bridges", bridge_id, "removeChannel")
        await self._call("POST", path, {"channel": channel_ids})

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None = None) -> None:
        path = ari_path("bridges", bridge_id, "moh")
        await self._call("POST", path, {"mohClass": moh_class})

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        await self._call("DELETE", ari_path("bridges", bridge_id, "moh"))

    async def play_bridge(
        self,
        bridge_id: str,
        media: Media,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        """In a holding bridge with MOH this answers 201 but the playback fails at once
        (``PlaybackFinished`` state ``failed``): only one announcer per bridge."""
        segments = ("bridges", bridge_id, "play") + ((playback_id,) if playback_id else ())
        params: Params = {"media": media_param(media), "lang": lang}
        return await self._one(Playback.parse, "POST", ari_path(*segments), params)

    async def record_bridge(
        self,
        bridge_id: str,
        name: str,
        format: str = "wav",
        *,
        max_duration_s: int | None = None,
        max_silence_s: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> LiveRecording:
        """Start recording a bridge; ``if_exists``: ``fail`` (ARI's default), ``overwrite``,
        ``append``; ``terminate_on``: ``none``, ``any``, ``*``, ``#``."""
        params: Params = {
            "name": name,
            "format": format,
            "maxDurationSeconds": max_duration_s,
            "maxSilenceSeconds": max_silence_s,
            "ifExists": if_exists,
            "beep": beep,
            "terminateOn": terminate_on,
        }
        path = ari_path("bridges", bridge_id, "record")
        return await self._one(LiveRecording.parse, "POST", path, params)

    # -- recordings ---------------------------------------------------------------------------

    async def get_live_recording(self, name: str) -> LiveRecording:
        path = ari_path("recordings", "live", name)
        return await self._one(LiveRecording.parse, "GET", path)

    async def stop_recording(self, name: str) -> None:
        """Stop and store a live recording; ``RecordingFinished`` carries its duration."""
        await self._call("POST", ari_path("recordings", "live", name, "stop"))

    async def list_stored_recordings(self) -> list[StoredRecording]:
        return await self._many(StoredRecording.parse, ari_path("recordings", "stored"))

    async def get_stored_recording(self, name: str) -> StoredRecording:
        path = ari_path("recordings", "stored", name)
        return await self._one(StoredRecording.parse, "GET", path)

    async def stored_recording_file(self, name: str) -> tuple[bytes, str]:
        """The stored recording's file and its media type (``audio/wav``).  Asterisk sends it
        whole, ignoring ``Range`` (res/ari/resource_recordings.c): the engine serves ranges."""
        return await self._files.fetch_file(ari_path("recordings", "stored", name, "file"))

    async def delete_stored_recording(self, name: str) -> None:
        await self._call("DELETE", ari_path("recordings", "stored", name))
