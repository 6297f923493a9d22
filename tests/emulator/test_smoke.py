from __future__ import annotations

from tests.emulator.ari import Ari


async def test_inbound_call_answer_play_hangup(ari: Ari) -> None:
    events = await ari.events()
    channel_id = ari.emu.pbx.place_call("1700", caller_name="Caller 1")
    start = await events.wait_for("StasisStart")
    assert start["args"] == ["inbound", "1700"]
    assert start["channel"]["state"] == "Ring"
    status, _ = await ari.call("POST", f"/channels/{channel_id}/answer")
    assert status == 204
    assert events.types() == ["ChannelStateChange"]
    status, body = await ari.call(
        "POST", f"/channels/{channel_id}/play/pb-1", media="sound:hello-world"
    )
    assert (status, body["state"]) == (201, "queued")
    finished = await events.wait_for("PlaybackFinished")
    assert finished["playback"]["state"] == "done"
    status, _ = await ari.call("DELETE", f"/channels/{channel_id}")
    assert status == 204
    await events.wait_for("StasisEnd")
    print(events.take())
    await events.close()
