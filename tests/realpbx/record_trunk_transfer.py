"""Record ``tests/data/ari-traces/trunk_transfer.jsonl`` on the real Asterisk 22 of this tier:
a closed transfer to an escalation point through a SIP trunk, the engine's way.

    .venv/bin/python -m tests.realpbx.record_trunk_transfer [OUT]

Caller (sipp, 1700) and agent1 are bridged; the agent is taken out and the caller gets music;
then three dials toward the point's number through endpoint ``trunk`` (a sipp UAS):
``PJSIP/trunk/+3225532100`` (chan_pjsip wants a URI or an AOR after the endpoint: 500),
``PJSIP/+3225532199@trunk`` (the far side says 486 Busy Here after 0.3 s) and
``PJSIP/trunk/sip:+3225532100@127.0.0.1:<port>`` (answers after 1.5 s); the answered leg joins
the caller's bridge and agent1 is hung up; 2 s later the app hangs up the point, then the
caller.  The format is that of ``../shared/asterisk/ari-traces`` (see its README)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any
from urllib.parse import quote

import aiohttp

from tests.realpbx.harness import REPO, Asterisk, Phones, udp_free, wait_for
from tests.realpbx.trace_recording import TraceLog, record_main

OUT = REPO / "tests" / "data" / "ari-traces" / "trunk_transfer.jsonl"
AUTH = ("asterisk", "asterisk")


class Recorder(TraceLog):
    """One ARI client whose every request, response and event goes into the trace."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        super().__init__()
        self.session = session
        self.base = base

    async def call(self, method: str, path: str, **query: str) -> tuple[int, Any]:
        request: dict[str, Any] = {"t": self._t(), "dir": "request", "method": method}
        request["path"] = f"/ari{path}"
        if query:
            request["query"] = query
        self.entries.append(request)
        url = f"{self.base}/ari{path}"
        if query:
            url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        headers = {"Authorization": aiohttp.encode_basic_auth(*AUTH)}
        async with self.session.request(method, url, headers=headers) as response:
            raw = await response.read()
            body = json.loads(raw) if raw else None
            self.entries.append(
                {
                    "t": self._t(),
                    "dir": "response",
                    "method": method,
                    "path": f"/ari{path}",
                    "status": response.status,
                    "reason": response.reason,
                    "body": body,
                }
            )
            return response.status, body


async def record(pbx: Asterisk, phones: Phones) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        rec = Recorder(session, pbx.ari_url)
        ws, listener = await rec.open_events(session, pbx.http_port)

        phones.agent("agent1", "uas_answer", delay_ms=1000)
        trunk_port = pbx.phone_ports["trunk"]
        phones.agent("trunk", "uas_busy")
        phones.caller("1700", hang_up=False)
        caller = (await rec.event("StasisStart"))["channel"]["id"]
        await rec.call("POST", f"/channels/{caller}/answer")
        await rec.call("POST", "/bridges/br-trunk1", type="mixing", name="acd-1700")
        await rec.call("POST", "/bridges/br-trunk1/addChannel", channel=caller)
        await rec.call(
            "POST",
            "/channels/ag-trunk1",
            endpoint="PJSIP/agent1",
            app="acd",
            appArgs=f"agent,agent1,{caller}",
            callerId="ACD <1700>",
            timeout="20",
            originator=caller,
        )
        await rec.event("StasisStart", "ag-trunk1")
        await rec.call("POST", "/bridges/br-trunk1/addChannel", channel="ag-trunk1")
        await asyncio.sleep(1.0)

        # The agent transfers: out of the bridge, music for the caller, the point dialled.
        await rec.call("POST", "/bridges/br-trunk1/removeChannel", channel="ag-trunk1")
        await rec.call("POST", f"/channels/{caller}/moh", mohClass="default")
        escalation = {"app": "acd", "callerId": "ACD <1700>", "timeout": "20"}
        await rec.call(
            "POST",
            "/channels/es-bad",
            endpoint="PJSIP/trunk/+3225532100",  # neither a URI nor an AOR: 500
            appArgs=f"escalation,backoffice,{caller}",
            originator=caller,
            **escalation,
        )
        await rec.call(
            "POST",
            "/channels/es-busy",
            endpoint="PJSIP/+3225532199@trunk",
            appArgs=f"escalation,backoffice,{caller}",
            originator=caller,
            **escalation,
        )
        await rec.event("ChannelDestroyed", "es-busy")
        # The busy phone has had its one call; the point's answering phone takes its port.
        wait_for(lambda: udp_free(trunk_port), 5, "the busy trunk phone is gone")
        phones.agent("trunk", "uas_answer", delay_ms=1500)
        await rec.call(
            "POST",
            "/channels/es-ok",
            endpoint=f"PJSIP/trunk/sip:+3225532100@127.0.0.1:{trunk_port}",
            appArgs=f"escalation,backoffice,{caller}",
            originator=caller,
            **escalation,
        )
        await rec.event("StasisStart", "es-ok")
        await rec.call("DELETE", f"/channels/{caller}/moh")
        await rec.call("POST", "/bridges/br-trunk1/addChannel", channel="es-ok")
        await rec.call("DELETE", "/channels/ag-trunk1", reason="normal")
        await rec.event("ChannelDestroyed", "ag-trunk1")
        await asyncio.sleep(2.0)

        # One hang-up at a time: Asterisk answers 204 before the channel is gone, and two
        # hang-ups racing in one bridge interleave their events differently run by run.
        await rec.call("DELETE", "/channels/es-ok", reason="normal")
        await rec.event("ChannelDestroyed", "es-ok")
        await rec.call("DELETE", f"/channels/{caller}", reason="normal")
        await rec.event("StasisEnd", caller)
        await rec.call("DELETE", "/bridges/br-trunk1")
        await asyncio.sleep(0.5)  # the last stragglers (BridgeDestroyed)
        await ws.close()
        listener.cancel()
        return rec.entries


def main(argv: list[str]) -> int:
    return record_main(argv, OUT, "trunk-trace-", record)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
