"""Playbacks and recordings beyond the recorded flows: queues, stops, bridge media, max length."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import pytest

from emulator import reference_config, run_emulator
from tests.emulator.ari import Ari


async def answered(ari: Ari) -> str:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    await ari.call("POST", f"/channels/{channel_id}/answer")
    return channel_id


async def test_playbacks_to_one_channel_queue_and_can_be_stopped(ari: Ari) -> None:
    events = await ari.events("watch")
    channel_id = await answered(ari)
    await ari.call("POST", "/applications/watch/subscription", eventSource=f"channel:{channel_id}")
    _, first = await ari.call("POST", f"/channels/{channel_id}/play/p1", media="sound:tt-monkeys")
    _, second = await ari.call("POST", f"/channels/{channel_id}/play/p2", media="sound:beep")
    assert (first["state"], second["state"]) == ("queued", "queued")
    await events.wait_for("PlaybackStarted", playback__id="p1")
    assert (await ari.call("GET", "/playbacks/p2"))[1]["state"] == "queued"
    assert (await ari.call("DELETE", "/playbacks/p1"))[0] == 204
    assert (await events.wait_for("PlaybackFinished", playback__id="p1"))["playback"]["state"] == (
        "done"
    )
    await events.wait_for("PlaybackStarted", playback__id="p2")
    await events.wait_for("PlaybackFinished", playback__id="p2")
    assert (await ari.call("GET", "/playbacks/p2"))[0] == 404


async def test_a_media_list_continues_item_by_item(ari: Ari) -> None:
    events = await ari.events("watch")
    channel_id = await answered(ari)
    await ari.call("POST", "/applications/watch/subscription", eventSource=f"channel:{channel_id}")
    _, body = await ari.call(
        "POST", f"/channels/{channel_id}/play", media="digits:12,number:42,sound:beep"
    )
    assert body["next_media_uri"] == "number:42"
    await events.wait_for("PlaybackContinuing", playback__media_uri="digits:12")
    await events.wait_for("PlaybackContinuing", playback__media_uri="number:42")
    done = await events.wait_for("PlaybackFinished")
    assert (done["playback"]["media_uri"], done["playback"]["state"]) == ("sound:beep", "done")


async def test_add_channel_waits_for_a_said_number_but_not_for_stopped_sounds(ari: Ari) -> None:
    """As Asterisk 22 does (``said_add_channel.jsonl``): ``addChannel`` runs on the channel's
    control queue after its playbacks, so an agent who answers mid-number waits for the number;
    a list of sound files stops at once and the channel enters the bridge at once."""
    loop = asyncio.get_running_loop()
    events = await ari.events("watch")
    channel_id = await answered(ari)
    await ari.call("POST", "/applications/watch/subscription", eventSource=f"channel:{channel_id}")
    await ari.call("POST", "/bridges/talk", type="mixing")

    await ari.call("POST", f"/channels/{channel_id}/play/said", media="sound:beep,number:842")
    await events.wait_for("PlaybackStarted", playback__id="said", playback__media_uri="number:842")
    assert (await ari.call("DELETE", "/playbacks/said"))[0] == 204  # accepted, and ignored
    asked = loop.time()
    assert (await ari.call("POST", "/bridges/talk/addChannel", channel=channel_id))[0] == 204
    # digits/8, digits/hundred, digits/40, digits/2, less the cut part of digits/8.
    assert loop.time() - asked > 2.0
    assert not ari.emu.pbx.media.playing_on(channel_id)  # the number was said to its end
    finished = await events.wait_for("PlaybackFinished", playback__id="said")
    assert finished["playback"]["state"] == "done"
    await events.wait_for("ChannelEnteredBridge", channel__id=channel_id)
    await ari.call("POST", "/bridges/talk/removeChannel", channel=channel_id)

    await ari.call(
        "POST",
        f"/channels/{channel_id}/play/files",
        media="sound:beep,sound:digits/8,sound:digits/hundred,sound:digits/40,sound:digits/2",
    )
    await events.wait_for(
        "PlaybackStarted", playback__id="files", playback__media_uri="sound:digits/8"
    )
    assert (await ari.call("DELETE", "/playbacks/files"))[0] == 204
    asked = loop.time()
    assert (await ari.call("POST", "/bridges/talk/addChannel", channel=channel_id))[0] == 204
    assert loop.time() - asked < 0.01
    await events.wait_for("ChannelEnteredBridge", channel__id=channel_id)


async def test_a_said_number_is_not_stopped_but_a_list_of_sound_files_is(ari: Ari) -> None:
    """As Asterisk 22 does (``playback_stop.jsonl``): ``number:``/``digits:`` are said file by
    file and a stop cannot end them; a number given as sound files stops as a whole."""
    loop = asyncio.get_running_loop()
    events = await ari.events("watch")
    channel_id = await answered(ari)
    await ari.call("POST", "/applications/watch/subscription", eventSource=f"channel:{channel_id}")

    # Nothing controllable has played yet: the stop is refused and everything is said.
    start = loop.time()
    await ari.call("POST", f"/channels/{channel_id}/play/n", media="number:42,sound:beep")
    await asyncio.sleep(0.3)
    assert await ari.call("DELETE", "/playbacks/n") == (
        500,
        {"message": "Could not stop playback"},
    )
    await events.wait_for("PlaybackStarted", playback__id="n", playback__media_uri="sound:beep")
    await events.wait_for("PlaybackFinished", playback__id="n", playback__state="done")
    # say.c says 42 with digits/40 and digits/2: 0.948 s and 0.747 s in the Debian files.
    assert loop.time() - start == pytest.approx(0.948 + 0.747 + 0.42, abs=0.01)

    # After a sound, the stop is accepted but cuts only the digit file being said, once: the
    # rest of the number and of the list plays on.
    start = loop.time()
    await ari.call(
        "POST", f"/channels/{channel_id}/play/d", media="sound:beep,digits:47,sound:beep"
    )
    await events.wait_for("PlaybackStarted", playback__id="d", playback__media_uri="digits:47")
    await asyncio.sleep(0.2)  # 0.2 s into digits/4
    for _ in range(2):
        assert (await ari.call("DELETE", "/playbacks/d"))[0] == 204
    await events.wait_for("PlaybackStarted", playback__id="d", playback__media_uri="sound:beep")
    await events.wait_for("PlaybackFinished", playback__id="d", playback__state="done")
    assert loop.time() - start == pytest.approx(0.42 + 0.2 + 0.820 + 0.42, abs=0.01)

    # The same number as sound files: one stop ends the playback.
    media = "sound:digits/4,sound:silence/1,sound:digits/7"
    await ari.call("POST", f"/channels/{channel_id}/play/s", media=media)
    await events.wait_for("PlaybackStarted", playback__id="s")
    await asyncio.sleep(0.2)
    assert (await ari.call("DELETE", "/playbacks/s"))[0] == 204
    stopped = await events.wait_for("PlaybackFinished", playback__id="s")
    assert (stopped["playback"]["media_uri"], stopped["playback"]["state"]) == (
        "sound:digits/4",
        "done",
    )


async def test_bridge_playback_goes_to_the_bridge_subscribers(ari: Ari) -> None:
    events = await ari.events("watch")
    channel_id = await answered(ari)
    await ari.call("POST", "/bridges/b1", type="mixing")
    await ari.call("POST", "/applications/watch/subscription", eventSource="bridge:b1")
    await ari.call("POST", "/bridges/b1/addChannel", channel=channel_id)
    status, body = await ari.call("POST", "/bridges/b1/play/bp", media="sound:hello-world")
    assert (status, body["target_uri"]) == (201, "bridge:b1")
    loop = asyncio.get_running_loop()
    start = loop.time()
    await events.wait_for("PlaybackStarted", playback__id="bp")
    await events.wait_for("PlaybackFinished", playback__id="bp", playback__state="done")
    assert abs(loop.time() - start - 1.4) < 0.01


async def test_a_recording_stops_at_its_maximum_length_and_can_be_played(ari: Ari) -> None:
    events = await ari.events("watch")
    channel_id = await answered(ari)
    await ari.call("POST", "/applications/watch/subscription", eventSource=f"channel:{channel_id}")
    status, body = await ari.call(
        "POST", f"/channels/{channel_id}/record", name="msg", format="wav", maxDurationSeconds=3
    )
    assert (status, body["state"]) == (201, "queued")
    await events.wait_for("RecordingStarted")
    finished = await events.wait_for("RecordingFinished")
    assert finished["recording"]["duration"] == 3
    assert await ari.call("GET", "/recordings/stored") == (200, [{"name": "msg", "format": "wav"}])
    assert (await ari.call("POST", f"/channels/{channel_id}/record", name="msg", format="wav"))[
        0
    ] == 409
    await ari.call("POST", f"/channels/{channel_id}/play/p", media="recording:msg")
    loop = asyncio.get_running_loop()
    start = loop.time()
    await events.wait_for("PlaybackFinished", playback__id="p", playback__state="done")
    assert abs(loop.time() - start - 3) < 0.01
    await ari.call("POST", f"/channels/{channel_id}/play/q", media="recording:nothing")
    await events.wait_for("PlaybackFinished", playback__id="q", playback__state="failed")


async def test_continue_back_into_stasis_or_out_of_the_dialplan(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700")
    await events.wait_for("StasisStart")
    await ari.call("POST", f"/channels/{channel_id}/answer")
    status, _ = await ari.call(
        "POST", f"/channels/{channel_id}/continue", context="from-caller", extension="1701"
    )
    assert status == 204
    await events.wait_for("StasisEnd")
    again = await events.wait_for("StasisStart")
    assert again["args"] == ["inbound", "1701", "sales"]
    await ari.call("POST", f"/channels/{channel_id}/continue", context="nowhere")
    await events.wait_for("StasisEnd")
    await asyncio.sleep(0.1)
    assert ari.emu.pbx.history[channel_id].cause == 16
    assert channel_id not in ari.emu.pbx.channels


async def test_a_missing_sound_fails_at_once_and_the_list_goes_on_as_on_a_stock_asterisk() -> None:
    # res_stasis_playback.c: a file that does not open fails its item; the next item plays
    # (PlaybackContinuing), and a missing last item finishes the playback "failed".
    config = reference_config()
    config = replace(config, sounds=replace(config.sounds, missing_fail=True))
    async with run_emulator(config=config) as emu, aiohttp.ClientSession() as session:
        ari = Ari(emu, session)
        events = await ari.events("watch")
        channel_id = await answered(ari)
        subscribe = f"channel:{channel_id}"
        await ari.call("POST", "/applications/watch/subscription", eventSource=subscribe)
        status, body = await ari.call(
            "POST", f"/channels/{channel_id}/play/p1", media="sound:acd-survey-intro,sound:beep"
        )
        assert (status, body["state"]) == (201, "queued")
        started = await events.wait_for("PlaybackStarted", playback__id="p1")
        assert started["playback"]["media_uri"] == "sound:acd-survey-intro"
        continuing = await events.wait_for("PlaybackContinuing", playback__id="p1")
        assert continuing["playback"]["next_media_uri"] == "sound:beep"
        done = await events.wait_for("PlaybackFinished", playback__id="p1")
        assert (done["playback"]["media_uri"], done["playback"]["state"]) == ("sound:beep", "done")
        before = emu.pbx.now()
        await ari.call("POST", f"/channels/{channel_id}/play/p2", media="sound:acd-survey-thanks")
        failed = await events.wait_for("PlaybackFinished", playback__id="p2")
        assert failed["playback"]["state"] == "failed"
        assert emu.pbx.now() - before < 0.1  # at once: nothing was played
