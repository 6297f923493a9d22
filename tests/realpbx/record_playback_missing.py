"""Record ``tests/data/ari-traces/playback_missing.jsonl`` on the real Asterisk 22 of this tier:
what ARI does with a sound file that does not exist (the survey's default prompts,
``sound:acd-survey-*``, are files a deployment records; a stock Asterisk has none).

    .venv/bin/python -m tests.realpbx.record_playback_missing [OUT]

Caller (sipp, 1700) answered; three playbacks one after the other, each waited for to finish:
a missing sound then an existing one in one request (``sound:acd-survey-intro,sound:beep``),
a missing sound alone, an existing one alone (``sound:beep``); then the app hangs the caller
up.  The format is that of ``../shared/asterisk/ari-traces`` (see its README)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp

from tests.realpbx.harness import REPO, Asterisk, Phones
from tests.realpbx.record_trunk_transfer import Recorder
from tests.realpbx.trace_recording import record_main

OUT = REPO / "tests" / "data" / "ari-traces" / "playback_missing.jsonl"
PLAYS = {
    "pb-missing-first": "sound:acd-survey-intro,sound:beep",
    "pb-missing-alone": "sound:acd-survey-thanks",
    "pb-existing": "sound:beep",
}


async def record(pbx: Asterisk, phones: Phones) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        rec = Recorder(session, pbx.ari_url)
        ws, listener = await rec.open_events(session, pbx.http_port)
        phones.caller("1700", hang_up=False)
        caller = (await rec.event("StasisStart"))["channel"]["id"]
        await rec.call("POST", f"/channels/{caller}/answer")
        for playback, media in PLAYS.items():
            await rec.call("POST", f"/channels/{caller}/play/{playback}", media=media, lang="en")
            while (await rec.event("PlaybackFinished"))["playback"]["id"] != playback:
                pass
        await rec.call("DELETE", f"/channels/{caller}", reason="normal")
        await rec.event("StasisEnd", caller)
        await asyncio.sleep(0.5)  # the last stragglers (ChannelDestroyed)
        await ws.close()
        listener.cancel()
        return rec.entries


def main(argv: list[str]) -> int:
    return record_main(argv, OUT, "playback-missing-trace-", record)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
