"""Playbacks and recordings, timed by the loop clock.

- ``POST .../play`` answers ``201`` with state ``queued``; ``PlaybackStarted`` follows at once
  (just after the response, as Asterisk starts it on the channel's thread), ``PlaybackFinished``
  ``done`` after the media's length (:mod:`emulator.sounds`).  A media list plays in order
  with ``PlaybackContinuing`` between items.  Playbacks to one channel queue behind each other.
- ``DELETE /playbacks/{id}`` (``playback_stop.jsonl``, ``moh_announce_dtmf.jsonl``): during a
  ``sound:``, ``recording:`` or ``tone:`` item the playback finishes ``done`` and the rest of
  its list is dropped.  A said item (``number:``, ``digits:``, ``characters:``) is not
  controllable: as long as no sound has played in that playback the stop answers ``500 Could
  not stop playback``; after one, it answers ``204`` but only cuts the file being said (once
  per item), and the rest of the item and of the list plays on.
- A playback cut by the channel's hang-up finishes ``failed``.
- A missing sound (``SoundLibrary.missing_fail``), as ``res_stasis_playback.c`` of Asterisk 22
  handles a file that does not open: the ``201`` first, then ``PlaybackStarted`` and at once
  ``PlaybackContinuing`` to the next item, or ``PlaybackFinished`` ``failed`` when it was the
  last (Asterisk logs ``Playback failed for sound:...``); ``playback_missing.jsonl``,
  recorded by ``tests/realpbx/record_playback_missing.py``.
- ``addChannel`` waits for the playbacks queued on the channel before it
  (``said_add_channel.jsonl``): Asterisk runs both on the channel's control queue, so the
  ``ChannelEnteredBridge`` and the ``204`` come only once they have finished.  A stopped sound
  ends at once and the channel enters the bridge; a said item cannot be stopped, and the caller
  hears it out before hearing the agent.
- A holding bridge has one announcer: with bridge MOH on, a bridge playback starts and fails at
  once, and is gone (404) afterwards (``queue_abandon.jsonl``).
- Recording a bridge or channel: ``201`` ``queued``, ``RecordingStarted`` before the response,
  ``RecordingFinished`` with whole-second ``duration`` on stop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from emulator.errors import AriHttpError, bad_request, conflict, not_found, unprocessable
from emulator.model import Bridge, Channel, LiveRecording, Playback, StoredRecording
from emulator.recording_files import path_of, write_silence
from emulator.sounds import MissingSound, media_plan

if TYPE_CHECKING:
    from emulator.pbx import Pbx

PLAY_START_S = 0.0005
RECORDING_FORMATS = frozenset({"wav", "gsm", "ulaw", "alaw", "sln", "slin", "g722", "wav49"})
_IF_EXISTS = frozenset({"fail", "overwrite", "append"})
_TERMINATE_ON = frozenset({"none", "any", "*", "#"})


class Media:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.playbacks: dict[str, Playback] = {}
        self._channel_queues: dict[str, list[str]] = {}
        self.live: dict[str, LiveRecording] = {}
        self.stored: dict[str, StoredRecording] = {}
        self._finished_waiters: dict[str, list[asyncio.Future[None]]] = {}

    # --- playbacks -----------------------------------------------------------------------

    def play_on_channel(
        self, channel_id: str, media: list[str], lang: str | None, playback_id: str | None
    ) -> dict[str, Any]:
        chan = self.pbx.controlled_answerable(channel_id)
        playback = self._new(f"channel:{chan.id}", media, lang or chan.language, playback_id)
        queue = self._channel_queues.setdefault(chan.id, [])
        queue.append(playback.id)
        response = playback.to_json()
        if len(queue) == 1:
            self.pbx.later(PLAY_START_S, lambda: self._start(playback), owner=chan)
        return response

    def play_on_bridge(
        self, bridge_id: str, media: list[str], lang: str | None, playback_id: str | None
    ) -> dict[str, Any]:
        bridge = self.pbx.bridge(bridge_id)
        playback = self._new(f"bridge:{bridge.id}", media, lang or "en", playback_id)
        response = playback.to_json()
        if bridge.bridge_type == "holding" and bridge.moh_class is not None:
            # The MOH announcer owns the holding bridge: the playback cannot get the floor.
            self.pbx.later(PLAY_START_S, lambda: self._start_and_fail(playback))
        else:
            self.pbx.later(PLAY_START_S, lambda: self._start(playback))
        return response

    def get(self, playback_id: str) -> Playback:
        playback = self.playbacks.get(playback_id)
        if playback is None:
            raise not_found("Playback not found")
        return playback

    def stop(self, playback_id: str) -> None:
        """``DELETE /playbacks/{id}``: a stopped playback finishes ``done``, except while it
        says something (see the module's docstring)."""
        playback = self.get(playback_id)
        if not playback.saying or playback.state == "queued":
            self._finish(playback, "done")
            return
        # res_stasis_playback.c: the "controllable" flag is set by a sound, recording or tone
        # and never cleared; a said item's say.c loop takes the stop as the end of one file.
        if not playback.controllable:
            raise AriHttpError(500, "Could not stop playback")
        if not playback.cut:
            playback.cut = True
            if playback.timer is not None:
                playback.timer.cancel()
            self._play_file(playback)

    def playing_on(self, channel_id: str) -> list[str]:
        return list(self._channel_queues.get(channel_id, ()))

    async def after_playbacks(self, channel_ids: list[str]) -> None:
        """Return once every playback queued on these channels now has finished, as a command
        queued behind them on the channels' control queues (``addChannel``) runs only then."""
        waiters: list[asyncio.Future[None]] = []
        for channel_id in channel_ids:
            for playback_id in self._channel_queues.get(channel_id, ()):
                waiter = asyncio.get_running_loop().create_future()
                self._finished_waiters.setdefault(playback_id, []).append(waiter)
                waiters.append(waiter)
        if waiters:
            await asyncio.gather(*waiters)

    def channel_gone(self, chan: Channel) -> None:
        for playback_id in list(self._channel_queues.get(chan.id, ())):
            self._finish(self.playbacks[playback_id], "failed")
        self._channel_queues.pop(chan.id, None)
        self._stop_recordings(f"channel:{chan.id}")

    def bridge_gone(self, bridge: Bridge) -> None:
        target = f"bridge:{bridge.id}"
        for playback in [p for p in self.playbacks.values() if p.target_uri == target]:
            self._finish(playback, "done")
        self._stop_recordings(target)

    def _new(
        self, target_uri: str, media: list[str], lang: str, playback_id: str | None
    ) -> Playback:
        if not media:
            raise bad_request("Missing parameter media")
        pid = playback_id or self.pbx.new_uuid()
        if pid in self.playbacks:
            raise AriHttpError(500, "Failed to queue media for playback")
        playback = Playback(pid, media, target_uri, lang)
        self.playbacks[pid] = playback
        return playback

    def _start(self, playback: Playback) -> None:
        if playback.id not in self.playbacks:
            return
        playback.state = "playing"
        self._publish(playback, "PlaybackStarted")
        try:
            plan = media_plan(
                playback.media[playback.index],
                self.pbx.config.sounds,
                {n: r.duration_s for n, r in self.stored.items()},
            )
        except MissingSound:
            playback.controllable = True  # set before the file is tried, as Asterisk does
            if playback.index + 1 >= len(playback.media):
                self._finish(playback, "failed")
            else:
                self._next(playback)
            return
        except ValueError:
            self._finish(playback, "failed")
            return
        playback.files = None if plan.files is None else list(plan.files)
        playback.saying, playback.cut = not plan.controllable, False
        playback.controllable = playback.controllable or plan.controllable
        self._play_file(playback)

    def _play_file(self, playback: Playback) -> None:
        """The current item's next file, or the next item once its files are done."""
        if playback.files is None:  # a tone, playing until stopped
            return
        if not playback.files:
            self._next(playback)
            return
        seconds = playback.files.pop(0)
        playback.timer = self.pbx.later(seconds, lambda: self._play_file(playback))

    def _start_and_fail(self, playback: Playback) -> None:
        playback.state = "playing"
        self._publish(playback, "PlaybackStarted")
        self._finish(playback, "failed")

    def _next(self, playback: Playback) -> None:
        if playback.index + 1 >= len(playback.media):
            self._finish(playback, "done")
            return
        playback.state = "continuing"
        self._publish(playback, "PlaybackContinuing")
        playback.index += 1
        self._start(playback)

    def _finish(self, playback: Playback, state: str) -> None:
        if self.playbacks.pop(playback.id, None) is None:
            return
        if playback.timer is not None:
            playback.timer.cancel()
        playback.state = state
        self._publish(playback, "PlaybackFinished")
        for waiter in self._finished_waiters.pop(playback.id, ()):
            if not waiter.done():
                waiter.set_result(None)
        if playback.target_kind != "channel":
            return
        queue = self._channel_queues.get(playback.target_id, [])
        if playback.id in queue:
            queue.remove(playback.id)
        chan = self.pbx.channels.get(playback.target_id)
        if chan is not None and state == "done":
            self.pbx.phones.playback_done(chan, playback.media)
        if queue and chan is not None and not chan.hanging_up:
            waiting = self.playbacks[queue[0]]
            self.pbx.later(PLAY_START_S, lambda: self._start(waiting), owner=chan)

    def _publish(self, playback: Playback, event_type: str) -> None:
        self._publish_for(playback.target_uri, event_type, {"playback": playback.to_json()})

    def _publish_for(self, target_uri: str, event_type: str, fields: dict[str, Any]) -> None:
        kind, _, target_id = target_uri.partition(":")
        if kind == "bridge":
            self.pbx.bus.bridge_event(target_id, event_type, fields)
            return
        chan = self.pbx.channels.get(target_id)
        if chan is not None:
            self.pbx.bus.channel_event(chan.id, chan.endpoint_key, event_type, fields)

    # --- recordings ----------------------------------------------------------------------

    def record(self, target_uri: str, options: RecordOptions) -> dict[str, Any]:
        options.check(self)
        recording = LiveRecording(
            options.name, options.format, target_uri, started_at=self.pbx.now(), state="queued"
        )
        response = recording.to_json()
        self.live[recording.name] = recording
        recording.state = "recording"
        kind, _, target_id = target_uri.partition(":")
        if kind == "bridge":
            self.pbx.bridging.recorder_joined(target_id, joined=True)
        self._publish_for(target_uri, "RecordingStarted", {"recording": recording.to_json()})
        if options.max_duration_s > 0:
            name = recording.name
            recording.timer = self.pbx.later(
                options.max_duration_s, lambda: self.stop_recording(name)
            )
        return response

    def live_recording(self, name: str) -> LiveRecording:
        recording = self.live.get(name)
        if recording is None:
            raise not_found("Recording not found")
        return recording

    def stop_recording(self, name: str) -> None:
        recording = self.live_recording(name)
        del self.live[name]
        if recording.timer is not None:
            recording.timer.cancel()
        elapsed = self.pbx.now() - recording.started_at
        recording.state, recording.duration = "done", int(elapsed)
        self.stored[name] = StoredRecording(name, recording.format, elapsed)
        directory = self.pbx.config.recordings_dir
        if directory is not None:
            write_silence(directory, name, recording.format, elapsed)
        self._publish_for(
            recording.target_uri, "RecordingFinished", {"recording": recording.to_json()}
        )
        kind, _, target_id = recording.target_uri.partition(":")
        if kind == "bridge":
            self.pbx.bridging.recorder_joined(target_id, joined=False)

    def stored_recording(self, name: str) -> StoredRecording:
        stored = self.stored.get(name)
        if stored is None:
            raise not_found("Recording not found")
        return stored

    def delete_stored(self, name: str) -> None:
        stored = self.stored_recording(name)
        del self.stored[name]
        directory = self.pbx.config.recordings_dir
        if directory is not None:
            path_of(directory, name, stored.format).unlink(missing_ok=True)

    def _stop_recordings(self, target_uri: str) -> None:
        for name in [n for n, r in self.live.items() if r.target_uri == target_uri]:
            self.stop_recording(name)


class RecordOptions:
    """The parameters of ``POST .../record``, checked like ``resource_bridges.c`` does."""

    def __init__(
        self,
        name: str,
        format: str,
        max_duration_s: int = 0,
        if_exists: str = "fail",
        terminate_on: str = "none",
    ) -> None:
        self.name = name
        self.format = format
        self.max_duration_s = max_duration_s
        self.if_exists = if_exists
        self.terminate_on = terminate_on

    def check(self, media: Media) -> None:
        if self.max_duration_s < 0:
            raise bad_request("max_duration_seconds cannot be negative")
        if self.terminate_on not in _TERMINATE_ON:
            raise bad_request("terminateOn invalid")
        if self.if_exists not in _IF_EXISTS:
            raise bad_request("ifExists invalid")
        if self.format not in RECORDING_FORMATS:
            raise unprocessable("specified format is unknown on this system")
        taken = self.name in media.live or (self.name in media.stored and self.if_exists == "fail")
        if taken:
            raise conflict(f"Recording '{self.name}' already exists and can not be overwritten")
